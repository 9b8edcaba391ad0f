package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/views"
)

// JobCard handles GET /accounts/:account_id/jobs/:job_id/card?v=…: the
// card fragment a live card polls, from the account's snapshot. The card's
// URL carries the version it shows (v) and its stale marker's key (s); when
// the job has not changed since, the answer is 204 and nothing is rendered.
// A terminal job's card has no trigger, so the polling ends with it.
func (h *Handler) JobCard(c echo.Context) error {
	accountID, jobID, err := validJob(c)
	if err != nil {
		return err
	}
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, jobURL(accountID, jobID))
	}
	seen, err := parseShown(c)
	if err != nil {
		return err
	}
	cred, err := h.credentialFor(c, accountID)
	if err != nil {
		return err
	}
	ctx, cancel := h.upstreamCtx(c.Request().Context())
	defer cancel()
	e, err := h.watchJob(ctx, cred, accountID, jobID)
	if err != nil {
		h.logUpstream(c, "get job card", err)
		return echo.NewHTTPError(upstreamStatus(c, err), explain(err))
	}
	stale := h.entryStale(e)
	if seen.current(e, stale) {
		return c.NoContent(http.StatusNoContent)
	}
	return render(c, http.StatusOK, views.JobCardView(h.cardOf(c, accountID, e, false)))
}

// CancelDialog handles GET /accounts/:account_id/jobs/:job_id/cancel-dialog:
// the cancel confirmation that "Cancel job…" loads into the page's dialog
// host, from the account's snapshot, with the same checks and text as the
// card used to carry: the counts as of when they are older, or, when the job
// cannot be read, what a cancel does without them. Without htmx it is the
// job page with the confirmation open.
func (h *Handler) CancelDialog(c echo.Context) error {
	accountID, jobID, err := validJob(c)
	if err != nil {
		return err
	}
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, jobURL(accountID, jobID)+"?confirm=cancel")
	}
	if u := userOf(c); !u.CanCancel() {
		return echo.NewHTTPError(http.StatusForbidden, "Your role ("+string(u.Role)+") can view jobs but not cancel them. Ask an admin for the responder role.")
	}
	cred, err := h.credentialFor(c, accountID)
	if err != nil {
		return err
	}
	ctx, cancel := h.upstreamCtx(c.Request().Context())
	defer cancel()
	e, err := h.watchJob(ctx, cred, accountID, jobID)
	var card views.JobCard
	switch {
	case err == nil:
		card = h.cardOf(c, accountID, e, true)
	case unreadable(err):
		card = unknownCard(accountID, jobID, h.whyUnread(err), cardOptions{canCancel: true, csrf: sessionOf(c).CSRFToken()})
	default:
		h.logUpstream(c, "get job for cancel dialog", err)
		return echo.NewHTTPError(upstreamStatus(c, err), explain(err))
	}
	if !card.CanCancel {
		return echo.NewHTTPError(http.StatusConflict, "This job can no longer be cancelled: it finished as "+card.StatusLabel+".")
	}
	// The cancel replaces a poll in flight of whatever polls the card: the
	// list's poller syncs on the list, a job page's card on itself.
	sync := "#job-" + jobID + ":replace"
	if onList(c, accountID) {
		sync = "#job-list:replace"
	}
	return render(c, http.StatusOK, views.CancelDialog(card, sync))
}

// onList reports whether the request comes from the account's job list.
func onList(c echo.Context, accountID string) bool {
	cur, err := url.Parse(c.Request().Header.Get(HXCurrentURL))
	return err == nil && cur.Path == jobsURL(accountID)
}

// card maps a job for the current user. The card polls itself unless it
// lives in the job list, whose poller asks for it instead.
func (h *Handler) card(c echo.Context, accountID string, job *apiclient.Job, confirm bool) views.JobCard {
	return jobCard(accountID, job, cardOptions{
		canCancel: userOf(c).CanCancel(), selfPoll: !onList(c, accountID), confirm: confirm,
		csrf: sessionOf(c).CSRFToken(), now: h.now(),
	})
}

// cardOf is card for a snapshot entry: marked stale when its latest read
// failed, and polling with the version it shows.
func (h *Handler) cardOf(c echo.Context, accountID string, e guard.Entry, confirm bool) views.JobCard {
	card := h.card(c, accountID, e.Job, confirm)
	markStale(&card, h.entryStale(e))
	card.CardURL = withShown(card.CardURL, e.Version, staleKey(card.Stale))
	return card
}
