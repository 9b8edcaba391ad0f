package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/views"
)

// jobList builds one page of the job list region, with the HTTP status to
// answer with. What it costs Cloudflare:
//   - every list watches its account's feed, which reads the first page at
//     per_page 100 once per interval however many tabs show it;
//   - the unfiltered list, on any page the feed's page covers, and any
//     filter or page when the feed's page held every job of the account
//     (Full), is cut from that snapshot: nothing more is read;
//   - any other filter or page is one guarded ListJobs of its own (the
//     guard shares it with identical reads for a couple of seconds). Its
//     poller then asks the snapshot for its live cards only (a running job
//     the feed's page does not hold costs the feed one read per interval),
//     so jobs entering or leaving that view show on the next load.
func (h *Handler) jobList(c echo.Context, cred apiclient.Credential, accountID string, q listQuery) (int, views.JobList) {
	ctx, cancel := h.upstreamCtx(c.Request().Context())
	defer cancel()
	snap, err := h.feeds().Watch(ctx, cred, accountID)
	list := views.JobList{Page: q.page}
	if q.page > 1 {
		list.PrevURL = q.url(accountID, q.page-1)
	}
	if err == nil && (!snap.Listed || snap.Err != nil && !unreadable(snap.Err)) {
		err = snap.Err // nothing read yet, or Cloudflare refused the credential
	}
	if err != nil {
		return h.listFailed(c, list, accountID, q, err)
	}
	var (
		jobs  []*apiclient.Job
		more  bool
		poll  = listPoll{set: true, version: snap.Version}
		stale *views.Stale
	)
	if entries, ok := cut(snap, q); ok {
		for _, e := range entries {
			jobs = append(jobs, e.Job)
		}
		more = len(entries) == q.perPage && (q.page*q.perPage < len(filtered(snap, q)) || !snap.Full)
		if snap.Returned > len(snap.Page) && len(jobs) > 0 {
			list.Capped = cappedNotice(snap.Returned, len(jobs), "jobs")
		}
		stale = h.snapshotStale(snap)
		poll.page, poll.stale = pageHash(jobs), staleKey(stale)
	} else {
		page, info, err := h.API.ListJobs(ctx, cred, accountID, apiclient.ListJobsOptions{
			Page: q.page, PerPage: q.perPage, Status: q.status, ActionType: q.action,
		})
		if err != nil {
			return h.listFailed(c, list, accountID, q, err)
		}
		for i := range page {
			jobs = append(jobs, &page[i])
		}
		more = info.MayHaveMore()
		list.Capped = cappedNotice(info.Returned, len(jobs), "jobs")
		stale = h.staleOf(ctx)
	}
	opts := cardOptions{canCancel: userOf(c).CanCancel(), csrf: sessionOf(c).CSRFToken(), now: h.now()}
	for _, j := range jobs {
		card := jobCard(accountID, j, opts)
		if card.Live {
			poll.live = append(poll.live, j.ID)
		}
		list.Cards = append(list.Cards, card)
	}
	list.Stale = stale
	if more {
		list.NextURL = q.url(accountID, q.page+1)
	}
	if len(poll.live) > 0 {
		list.RefreshURL = poll.url(q.url(accountID, q.page))
	}
	if len(jobs) == 0 {
		list.Empty = "No bulk jobs match these filters."
		if q.page > 1 {
			list.Empty = "No more jobs: this page is past the end of the list."
		}
	}
	return http.StatusOK, list
}

// listFailed is the region when the list could not be read: why, and a
// poller that asks for the whole region again (the outage may pass).
func (h *Handler) listFailed(c echo.Context, list views.JobList, accountID string, q listQuery, err error) (int, views.JobList) {
	h.logUpstream(c, "list jobs", err)
	list.Error = explain(err)
	list.RefreshURL = q.url(accountID, q.page)
	return upstreamStatus(c, err), list
}

// cut returns the page q asks for from the snapshot, and whether the
// snapshot can answer it: an unfiltered page within the feed's page, or
// any page when the feed's page is the whole account. Filtering keeps
// Cloudflare's own order (its sort order is not documented; section 10 Q6
// of the contract takes created_at descending).
func cut(s *guard.Snapshot, q listQuery) ([]guard.Entry, bool) {
	unfiltered := q.status == "" && q.action == ""
	if !s.Full && !(unfiltered && q.page*q.perPage <= len(s.Page)) {
		return nil, false
	}
	ids := filtered(s, q)
	start := min((q.page-1)*q.perPage, len(ids))
	end := min(start+q.perPage, len(ids))
	entries := make([]guard.Entry, 0, end-start)
	for _, id := range ids[start:end] {
		entries = append(entries, s.Jobs[id])
	}
	return entries, true
}

// filtered is the snapshot's page with q's filters applied.
func filtered(s *guard.Snapshot, q listQuery) []string {
	if q.status == "" && q.action == "" {
		return s.Page
	}
	var ids []string
	for _, id := range s.Page {
		j := s.Jobs[id].Job
		if (q.status == "" || j.Status == q.status) && (q.action == "" || j.ActionType == q.action) {
			ids = append(ids, id)
		}
	}
	return ids
}

// pageHash names the jobs a page shows, in order.
func pageHash(jobs []*apiclient.Job) string {
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return shortHash(ids...)
}

// cappedNotice says so when Cloudflare ignored the page size: the client
// keeps the first page's worth of the rows it returned.
func cappedNotice(returned, shown int, noun string) string {
	if returned <= shown {
		return ""
	}
	return fmt.Sprintf("Cloudflare returned %s %s for a page of %d; showing the first %d.",
		formatCount(int64(returned)), noun, shown, shown)
}
