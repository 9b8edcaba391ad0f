package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/views"
)

// listPollerID is the id of the list's poller (views.JobListRegion), which
// htmx sends as HX-Trigger.
const listPollerID = "job-list-poll"

// maxLiveIDs bounds the live cards a list poll may name: a page's size.
const maxLiveIDs = 100

// listPoll is what a list's poller says its page shows (its query, after
// the list's own filters): the snapshot version (v), the live cards
// (live, comma-separated job IDs), and for a page cut from the snapshot the
// hash of its jobs (h) and its stale marker's key (s).
type listPoll struct {
	set     bool
	version uint64
	live    []string
	page    string // "" when the page was a read of its own
	stale   string
}

// url is the poller's URL: the list's URL u with the poll's state.
func (p listPoll) url(u string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	u += sep + "v=" + strconv.FormatUint(p.version, 10) + "&live=" + strings.Join(p.live, ",")
	if p.page != "" {
		u += "&h=" + p.page
		if p.stale != "" {
			u += "&s=" + p.stale
		}
	}
	return u
}

// parseListPoll reads a poller's state; without v the request is not a
// poll. A bad value is a 400 with a sentence.
func parseListPoll(c echo.Context) (listPoll, error) {
	seen, err := parseShown(c)
	if err != nil || !seen.set {
		return listPoll{}, err
	}
	p := listPoll{set: true, version: seen.version, stale: seen.stale, page: c.QueryParam("h")}
	if !validKey(p.page) {
		return p, echo.NewHTTPError(http.StatusBadRequest, "The poll's page key (h) must be 8 hexadecimal digits.")
	}
	if v := c.QueryParam("live"); v != "" {
		p.live = strings.Split(v, ",")
	}
	if len(p.live) > maxLiveIDs {
		return p, echo.NewHTTPError(http.StatusBadRequest, "A list poll names at most 100 jobs.")
	}
	for _, id := range p.live {
		if !apiclient.ValidJobID(id) {
			return p, echo.NewHTTPError(http.StatusBadRequest, "The poll names a job ID that is not a lowercase UUID.")
		}
	}
	return p, nil
}

// pollJobList answers the list's poller from the account's snapshot:
// 204 when none of the page's live cards changed since the version it
// shows; else the changed cards out of band and the poller with the new
// version (without a trigger once nothing on the page runs). A page cut
// from the snapshot whose jobs or stale marker are no longer the same
// (a job started, was deleted or left the filter; a read failed or
// recovered) is rendered again as a whole region. Nothing is rendered for
// an unchanged poll.
func (h *Handler) pollJobList(c echo.Context, cred apiclient.Credential, accountID string, q listQuery, p listPoll) error {
	ctx, cancel := h.upstreamCtx(c.Request().Context())
	defer cancel()
	snap, err := h.feeds().Watch(ctx, cred, accountID, p.live...)
	if snap == nil || snap.Err != nil && !unreadable(snap.Err) {
		if err == nil {
			err = snap.Err
		}
		h.logUpstream(c, "poll jobs", err)
		return echo.NewHTTPError(upstreamStatus(c, err), explain(err))
	}
	if p.page != "" {
		entries, ok := cut(snap, q)
		jobs := make([]*apiclient.Job, len(entries))
		for i, e := range entries {
			jobs[i] = e.Job
		}
		if !ok || !snap.Listed || pageHash(jobs) != p.page || staleKey(h.snapshotStale(snap)) != p.stale {
			return h.relist(c, cred, accountID, q)
		}
	}
	opts := cardOptions{canCancel: userOf(c).CanCancel(), csrf: sessionOf(c).CSRFToken(), now: h.now()}
	var changed []views.JobCard
	next := p
	next.live = next.live[:0:0]
	for _, id := range p.live {
		e, ok := snap.Entry(id)
		switch {
		case !ok:
			next.live = append(next.live, id) // not readable now: keep asking
			continue
		case e.Version > p.version:
			card := jobCard(accountID, e.Job, opts)
			card.OOB = true
			changed = append(changed, card)
		}
		if !e.Job.Status.Terminal() {
			next.live = append(next.live, id)
		}
	}
	if len(changed) == 0 {
		return c.NoContent(http.StatusNoContent)
	}
	next.version = snap.Version
	data := views.JobListPollData{Cards: changed}
	if len(next.live) > 0 {
		data.RefreshURL = next.url(q.url(accountID, q.page))
	}
	return render(c, http.StatusOK, views.JobListPoll(data))
}

// relist answers a poll with the whole list region in place of the list.
func (h *Handler) relist(c echo.Context, cred apiclient.Credential, accountID string, q listQuery) error {
	status, list := h.jobList(c, cred, accountID, q)
	if list.Error != "" {
		return echo.NewHTTPError(status, list.Error)
	}
	c.Response().Header().Set(HXRetarget, "#job-list")
	c.Response().Header().Set(HXReswap, "outerHTML")
	return render(c, status, views.JobListRegion(list))
}
