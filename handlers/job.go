package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/views"
)

// messagesPerPage is the page size of the per-message results.
const messagesPerPage = 50

// ShowJob handles GET /accounts/:account_id/jobs/:job_id: the job in full.
// The job comes from the account's snapshot (read once when the snapshot
// lacks it); the messages are one guarded read. Both share one time budget.
// When Cloudflare cannot be asked (an outage, a rate limit, a paused read)
// the page still offers Cancel: with the last known card, marked, or with
// nothing known, the job's IDs, why and Retry, answered 503 because the
// job's state was not delivered.
func (h *Handler) ShowJob(c echo.Context) error {
	accountID, jobID, err := validJob(c)
	if err != nil {
		return err
	}
	mq, err := parseMessagesQuery(c)
	if err != nil {
		return err
	}
	cred, err := h.credentialFor(c, accountID)
	if errors.Is(err, errNoCredential) {
		return nil
	} else if err != nil {
		return err
	}
	ctx, cancel := h.upstreamCtx(c.Request().Context())
	defer cancel()
	e, err := h.watchJob(ctx, cred, accountID, jobID)
	if err != nil {
		h.logUpstream(c, "get job", err)
		if !unreadable(err) {
			return echo.NewHTTPError(upstreamStatus(c, err), explain(err))
		}
	}
	opts := cardOptions{canCancel: userOf(c).CanCancel(), selfPoll: true, confirm: true, csrf: sessionOf(c).CSRFToken(), now: h.now()}
	status := http.StatusOK
	data := views.JobPageData{ListURL: jobsURL(accountID)}
	if err != nil {
		setRetryAfter(c, err)
		status = http.StatusServiceUnavailable
		data.Card = unknownCard(accountID, jobID, h.whyUnread(err), opts)
	} else {
		data.Card = jobCard(accountID, e.Job, opts)
		markStale(&data.Card, h.entryStale(e))
		data.Card.CardURL = withShown(data.Card.CardURL, e.Version, staleKey(data.Card.Stale))
		data.Fields = jobFields(e.Job, h.now())
		data.SearchParams = searchFields(e.Job.SearchParams)
		data.Messages = h.messageList(ctx, c, cred, accountID, jobID, mq)
	}
	data.Page = h.page(c, "Job "+data.Card.ShortID, "jobs")
	data.ShareURL = h.PublicURL.String() + data.Card.URL
	data.ConfirmOpen = c.QueryParam("confirm") == "cancel" && data.Card.CanCancel
	return render(c, status, views.JobPage(data))
}

// JobMessages handles GET /accounts/:account_id/jobs/:job_id/messages: the
// per-message region for htmx; a full-page request goes to the job page.
func (h *Handler) JobMessages(c echo.Context) error {
	accountID, jobID, err := validJob(c)
	if err != nil {
		return err
	}
	mq, err := parseMessagesQuery(c)
	if err != nil {
		return err
	}
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, mq.pageURL(accountID, jobID, mq.page))
	}
	cred, err := h.credentialFor(c, accountID)
	if err != nil {
		return err
	}
	ctx, cancel := h.upstreamCtx(c.Request().Context())
	defer cancel()
	return render(c, http.StatusOK, views.MessagesRegion(h.messageList(ctx, c, cred, accountID, jobID, mq)))
}

// messagesQuery is the per-message region's validated query.
type messagesQuery struct {
	status apiclient.JobStatus
	page   int
}

func parseMessagesQuery(c echo.Context) (messagesQuery, error) {
	q := messagesQuery{status: apiclient.JobStatus(c.QueryParam("status")), page: 1}
	if q.status != "" && !q.status.Known() {
		return q, echo.NewHTTPError(http.StatusBadRequest, "Unknown message status filter.")
	}
	if v := c.QueryParam("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return q, echo.NewHTTPError(http.StatusBadRequest, "Page must be a number from 1.")
		}
		q.page = n
	}
	return q, nil
}

// query encodes q at page.
func (q messagesQuery) query(page int) string {
	v := url.Values{}
	if q.status != "" {
		v.Set("status", string(q.status))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// pageURL is the job page showing the messages at page.
func (q messagesQuery) pageURL(accountID, jobID string, page int) string {
	return jobURL(accountID, jobID) + q.query(page)
}

// messageList fetches one page of message rows within ctx's deadline (the
// page's budget, shared with the job read).
func (h *Handler) messageList(ctx context.Context, c echo.Context, cred apiclient.Credential, accountID, jobID string, q messagesQuery) views.MessageList {
	list := views.MessageList{Status: string(q.status), PerPage: messagesPerPage, Page: q.page,
		ActionURL: jobURL(accountID, jobID) + "/messages"}
	for _, s := range apiclient.JobStatuses {
		list.Statuses = append(list.Statuses, string(s))
	}
	fragment := func(page int) string { return list.ActionURL + q.query(page) }
	if q.page > 1 {
		list.PrevURL = fragment(q.page - 1)
	}
	if ctx.Err() != nil {
		// The job read spent the page's budget: asking now would only count
		// against the read budget.
		list.Error = h.whyUnread(ctx.Err()) + " The messages were not asked for; reload the page to try again."
		return list
	}
	msgs, info, err := h.API.ListJobMessages(ctx, cred, accountID, jobID,
		apiclient.ListJobMessagesOptions{Page: q.page, PerPage: messagesPerPage, Status: q.status})
	if err != nil {
		h.logUpstream(c, "list job messages", err)
		list.Error = explain(err)
		return list
	}
	list.Stale = h.staleOf(ctx)
	now := h.now()
	for _, m := range msgs {
		list.Rows = append(list.Rows, views.MessageRow{
			ID: m.ID, Recipient: m.ActionParams.ClientRecipient, PostfixID: m.PostfixID,
			EmailMessageID: m.EmailMessageID, Status: statusLabel(m.Status), StatusClass: statusClass(m.Status),
			Retries: strconv.FormatInt(m.RetryCount, 10), Reason: m.StatusMessage,
			Processed: displayTime(m.ProcessedAt, now), RetryAfter: displayTime(m.RetryAfter, now),
		})
	}
	list.Capped = cappedNotice(info.Returned, len(msgs), "messages")
	if info.MayHaveMore() {
		list.NextURL = fragment(q.page + 1)
	}
	if len(msgs) == 0 {
		list.Empty = "No messages match."
	}
	return list
}

// jobFields lists the job's fields that the card does not already show.
func jobFields(j *apiclient.Job, now time.Time) []views.Field {
	// The status and the start and end times live in the card, which keeps
	// itself current; repeating them here would show stale values after a
	// refresh or a cancel.
	f := []views.Field{
		{Label: "Job ID", Value: j.ID},
		{Label: "Action type", Value: string(j.ActionType)},
	}
	if j.ActionParams.Destination != "" {
		f = append(f, views.Field{Label: "Destination", Value: destinationLabel(j.ActionParams.Destination) + " (" + string(j.ActionParams.Destination) + ")"})
	}
	if j.ActionParams.ExpectedDisposition != "" {
		f = append(f, views.Field{Label: "Expected disposition", Value: string(j.ActionParams.ExpectedDisposition), Note: "deprecated upstream"})
	}
	f = append(f, views.Field{Label: "Created", Value: displayTime(&j.CreatedAt, now).Exact})
	if j.MessagesSkipped == nil && j.MessagesCancelled == nil {
		f = append(f, views.Field{Label: "Skipped / cancelled counters", Value: "not reported by the API for this job"})
	}
	return f
}

// searchFields renders all 17 search parameters readably; unset ones are left
// out.
func searchFields(p apiclient.SearchParams) []views.Field {
	var f []views.Field
	add := func(label, value, note string) {
		if strings.TrimSpace(value) != "" {
			f = append(f, views.Field{Label: label, Value: value, Note: note})
		}
	}
	yesNo := func(b *bool) string {
		switch {
		case b == nil:
			return ""
		case *b:
			return "yes"
		}
		return "no"
	}
	when := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	add("From", when(p.Start), "")
	add("Until", when(p.End), "")
	add("Sender", p.Sender, "")
	add("Sender domain", p.Domain, "")
	add("Recipient", p.Recipient, "")
	add("Subject contains", p.Subject, "")
	add("Exact subject", p.ExactSubject, "")
	add("Search terms", p.Query, "")
	add("Final disposition", string(p.FinalDisposition), "")
	add("Delivery status", string(p.DeliveryStatus), "")
	add("Message action", string(p.MessageAction), "")
	add("Message ID", p.MessageID, "")
	add("Alert ID", p.AlertID, "")
	add("Metric", p.Metric, "")
	add("Detections only", yesNo(p.DetectionsOnly), "")
	add("Include submissions", yesNo(p.Submissions), "")
	add("Action log", yesNo(p.ActionLog), "deprecated upstream")
	return f
}
