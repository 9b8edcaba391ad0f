package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/views"
)

// maxReasonLen bounds the optional cancel reason kept in the audit log.
const maxReasonLen = 500

// repeatWindow is how long after a successful cancel a repeated submit of the
// same job is answered from a fresh read instead of a second cancel.
const repeatWindow = 2 * time.Minute

// JobCard handles GET /accounts/:account_id/jobs/:job_id/card: the card
// fragment a live card polls. A terminal job's card has no trigger, so the
// polling ends with it.
func (h *Handler) JobCard(c echo.Context) error {
	accountID, jobID, err := validJob(c)
	if err != nil {
		return err
	}
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, jobURL(accountID, jobID))
	}
	cred, err := h.credentialFor(c, accountID)
	if err != nil {
		return err
	}
	ctx, cancel := h.upstreamCtx(c.Request().Context())
	defer cancel()
	job, err := h.API.GetJob(ctx, cred, accountID, jobID)
	if err != nil {
		h.logUpstream(c, "get job card", err)
		return echo.NewHTTPError(upstreamStatus(c, err), explain(err))
	}
	card := h.card(c, accountID, job)
	card.Notice = staleNotice(guard.Stale(ctx))
	return render(c, http.StatusOK, views.JobCardView(card))
}

// card maps a job for the current user. The card polls itself unless it
// lives in the job list, which refreshes as one region.
func (h *Handler) card(c echo.Context, accountID string, job *apiclient.Job) views.JobCard {
	selfPoll := true
	if cur, err := url.Parse(c.Request().Header.Get(HXCurrentURL)); err == nil && cur.Path == jobsURL(accountID) {
		selfPoll = false
	}
	return jobCard(accountID, job, cardOptions{
		canCancel: userOf(c).CanCancel(), selfPoll: selfPoll, csrf: sessionOf(c).CSRFToken(), now: h.now(),
	})
}

// CancelJob handles POST /accounts/:account_id/jobs/:job_id/cancel. It checks
// the role, the IDs and the user's credential, calls Cloudflare once, writes
// an audit event and answers with the card rebuilt from Cloudflare's answer.
// Without htmx it redirects to the job page with a flash message.
func (h *Handler) CancelJob(c echo.Context) error {
	accountID, jobID, err := validJob(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	reason := strings.TrimSpace(c.FormValue("reason"))
	if utf8.RuneCountInString(reason) > maxReasonLen {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("The reason is too long: keep it under %d characters.", maxReasonLen))
	}
	ev := store.AuditEvent{Action: store.ActionJobCancel, AccountID: accountID, JobID: jobID, Reason: reason}
	if !u.CanCancel() {
		ev.Outcome, ev.Detail = "denied", "role "+string(u.Role)+" may not cancel"
		h.audit(c, ev)
		return echo.NewHTTPError(http.StatusForbidden, "Your role ("+string(u.Role)+") can view jobs but not cancel them. Ask an admin for the responder role.")
	}
	cred, err := h.credentialFor(c, accountID)
	if err != nil {
		if errors.Is(err, errNoCredential) {
			return nil
		}
		return err
	}
	res := h.cancelOnce(c, cred, ev)
	setRetryAfter(c, res.err)
	if !isFragment(c) {
		msg := res.notice
		if res.message != "" {
			msg = res.message
		}
		sessionOf(c).setFlash(msg)
		return c.Redirect(http.StatusSeeOther, jobURL(accountID, jobID))
	}
	if res.job == nil {
		// Nothing to rebuild the card from: keep the card as it is (its button
		// works again) and say why in the flash region.
		return echo.NewHTTPError(res.status, res.message)
	}
	card := h.card(c, accountID, res.job)
	card.Error, card.Notice = res.message, res.notice
	return render(c, res.status, views.JobCardView(card))
}

// cancelResult is what a cancel attempt came to.
type cancelResult struct {
	job     *apiclient.Job // the job to show, nil when none could be read
	status  int            // HTTP status of the answer
	notice  string         // success sentence
	message string         // failure sentence
	outcome string         // audit outcome: ok, already_finished, error, …
	detail  string         // audit detail (upstream codes, never a secret)
	err     error          // the upstream error, if any
}

// cancelOnce makes at most one cancel call per job at a time: a double click
// or a repeated submit shares the answer of the first, and a submit shortly
// after a successful cancel reads the job instead of cancelling it again.
// The audit event is written once per upstream attempt, by the request that
// made it.
func (h *Handler) cancelOnce(c echo.Context, cred apiclient.Credential, ev store.AuditEvent) cancelResult {
	key := fmt.Sprintf("%d/%s/%s", userOf(c).ID, ev.AccountID, ev.JobID)
	v, _, _ := h.cancels.Do(key, func() (any, error) {
		// The work must not die with the first request's context: a second
		// submit may be waiting on the same answer.
		ctx, cancel := h.upstreamCtx(context.WithoutCancel(c.Request().Context()))
		defer cancel()
		res := cancelResult{}
		if h.recentlyCancelled(ctx, ev.AccountID, ev.JobID) {
			if job, err := h.API.GetJob(ctx, cred, ev.AccountID, ev.JobID); err == nil {
				res = cancelResult{job: job, status: http.StatusOK, outcome: "repeat",
					notice: "This job was already cancelled a moment ago; nothing more was sent to Cloudflare."}
			}
		}
		if res.status == 0 {
			res = h.cancelUpstream(ctx, cred, ev.AccountID, ev.JobID)
		}
		ev.Outcome, ev.Detail = res.outcome, res.detail
		h.audit(c, ev)
		return res, nil
	})
	return v.(cancelResult)
}

// recentlyCancelled reports whether the audit log has a successful cancel of
// the job within repeatWindow. The log is shared by every replica.
func (h *Handler) recentlyCancelled(ctx context.Context, accountID, jobID string) bool {
	events, err := h.Store.ListAudit(ctx, store.AuditFilter{
		Action: store.ActionJobCancel, AccountID: accountID, JobID: jobID, Since: h.now().Add(-repeatWindow), Limit: 20,
	})
	if err != nil {
		return false
	}
	for _, e := range events {
		if e.Outcome == "ok" {
			return true
		}
	}
	return false
}

// cancelUpstream sends the cancel and turns every outcome into a result. On an
// ambiguous failure (no answer, a bad answer) it reads the job back to show
// whether the cancel took effect; POSTs are never retried blindly.
func (h *Handler) cancelUpstream(ctx context.Context, cred apiclient.Credential, accountID, jobID string) cancelResult {
	job, err := h.API.CancelJob(ctx, cred, accountID, jobID)
	if err == nil {
		return cancelResult{job: job, status: http.StatusOK, outcome: "ok", notice: cancelledNotice(job)}
	}
	h.Log.Warn("cancel job", "err", err.Error(), "account_id", accountID, "job_id", jobID)
	res := cancelResult{status: statusFor(err), outcome: "error", detail: err.Error(), message: explain(err), err: err}
	switch {
	case errors.Is(err, apiclient.ErrBadRequest):
		// Most likely the job reached a terminal state first (contract Q1/Q19).
		if fresh, gerr := h.API.GetJob(ctx, cred, accountID, jobID); gerr == nil && fresh.Status.Terminal() {
			res.job, res.status, res.outcome = fresh, http.StatusConflict, "already_finished"
			res.message = "Nothing was cancelled: the job had already finished as " + statusLabel(fresh.Status) + " before the cancel arrived."
			return res
		} else if gerr == nil {
			res.job = fresh
		}
	case errors.Is(err, apiclient.ErrForbidden):
		res.outcome = "forbidden"
		res.message = "Cloudflare refused the cancel: your stored token can read this account but cannot cancel jobs (it needs Cloud Email Security: Write)."
	case errors.Is(err, apiclient.ErrUnauthorized):
		// Reading the job back with a credential Cloudflare rejects is pointless.
		res.outcome = "unauthorized"
		return res
	case errors.Is(err, apiclient.ErrRateLimited):
		// One read to show the card as it is; if that is blocked too, the
		// card stays as it was and the reason goes to the flash region.
		res.outcome = "rate_limited"
	case errors.Is(err, apiclient.ErrNotFound):
		res.outcome = "not_found"
		return res
	case errors.Is(err, apiclient.ErrUnavailable), errors.Is(err, apiclient.ErrInvalidResponse):
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		fresh, gerr := h.API.GetJob(rctx, cred, accountID, jobID)
		switch {
		case gerr != nil:
			res.message = "Cloudflare did not confirm the cancel and the job could not be read back, so it may or may not be cancelled. Reload the page to see its state."
		case fresh.Status == apiclient.StatusCancelled:
			return cancelResult{job: fresh, status: http.StatusOK, outcome: "ok", detail: "answer lost; read back as cancelled",
				notice: "Cloudflare's answer was lost, but reading the job back shows it is cancelled. " + cancelledNotice(fresh)}
		default:
			res.job = fresh
			res.message = "Cloudflare did not confirm the cancel; the job is still " + statusLabel(fresh.Status) + ". Try again."
		}
		return res
	}
	if res.job == nil {
		// Show the card as it is now, with the reason, so the page stays usable.
		if fresh, gerr := h.API.GetJob(ctx, cred, accountID, jobID); gerr == nil {
			res.job = fresh
		}
	}
	return res
}

// cancelledNotice says what the cancel did, from the counters Cloudflare
// returned.
func cancelledNotice(j *apiclient.Job) string {
	doneVerb := "released"
	if j.ActionType == apiclient.ActionMove {
		doneVerb = "moved"
	}
	msg := "Cancelled. "
	if j.MessagesCancelled != nil {
		msg += fmt.Sprintf("%s pending %s will not be %s; ", formatCount(*j.MessagesCancelled), nounMessages(*j.MessagesCancelled), doneVerb)
	}
	return msg + fmt.Sprintf("%s already %s stay %s.", formatCount(j.MessagesSuccessful), doneVerb, doneVerb)
}
