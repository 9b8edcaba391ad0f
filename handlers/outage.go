package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/views"
)

// What the pages show when Cloudflare's answer could not be had: an older
// answer marked "as of" and why, or, with nothing known, the job's IDs, why,
// Retry and Cancel. A cancel needs no prior read, so an outage, a rate limit
// or a paused read never takes the Cancel button away.

// unreadable reports whether err leaves the job's state unknown for a
// while, rather than answering a question about it: Cloudflare failed, was
// slow, rate-limited the credential or sent an unreadable answer, or the
// guard held the read back. Classes, not types: the guard's own refusals
// (a spent budget, an open circuit breaker) match these classes too.
func unreadable(err error) bool {
	for _, class := range []error{context.DeadlineExceeded, apiclient.ErrUnavailable, apiclient.ErrRateLimited,
		apiclient.ErrInvalidResponse, guard.ErrReadBudget, guard.ErrNoFreshSnapshot} {
		if errors.Is(err, class) {
			return true
		}
	}
	return false
}

// whyUnread says in one sentence why no fresh answer could be had.
func (h *Handler) whyUnread(err error) string { return h.whyUnreadAt(err, h.now()) }

// whyUnreadAt is whyUnread for a read made at tried: a rate limit's wait
// counts from then.
func (h *Handler) whyUnreadAt(err error, tried time.Time) string {
	var apiErr *apiclient.APIError
	isAPI := errors.As(err, &apiErr)
	switch {
	case err == nil:
		return "Cloudflare could not be asked for a newer answer."
	case errors.Is(err, context.DeadlineExceeded):
		return "Cloudflare did not answer within " + apiclient.HumanDuration(h.upstreamTimeout()) + ", this page's time budget."
	case errors.Is(err, apiclient.ErrRateLimited):
		if isAPI && apiErr.RetryAfter > 0 {
			return "Cloudflare rate-limits this credential until " + clockUTC(tried.Add(apiErr.RetryAfter)) + "."
		}
		return "Cloudflare rate-limits this credential for a few minutes."
	case errors.Is(err, guard.ErrReadBudget), errors.Is(err, guard.ErrBreakerOpen), errors.Is(err, guard.ErrBudgetUnavailable):
		return explain(err) // the guard's hold: why, and until when
	case errors.Is(err, apiclient.ErrUnavailable):
		switch {
		case isAPI && apiErr.StatusCode != 0:
			return "Cloudflare is unavailable right now: it answered " +
				strings.TrimSpace(strconv.Itoa(apiErr.StatusCode)+" "+http.StatusText(apiErr.StatusCode)) + "."
		case isAPI:
			return "Cloudflare is unavailable right now: it did not answer."
		}
		return "Cloudflare is unavailable right now."
	case errors.Is(err, apiclient.ErrInvalidResponse):
		return "Cloudflare sent an answer the dashboard could not read."
	case errors.Is(err, guard.ErrNoFreshSnapshot):
		// A follower replica whose leader stopped publishing: another
		// replica takes the lease over within a few intervals.
		return "The dashboard replica that reads Cloudflare for this account stopped sending newer answers; another takes over within a few seconds."
	}
	return explain(err)
}

// staleOf marks what was read under ctx when the guard served an older
// answer, and is nil when every answer was fresh.
func (h *Handler) staleOf(ctx context.Context) *views.Stale {
	at, why := guard.StaleReason(ctx)
	if at.IsZero() {
		return nil
	}
	return &views.Stale{AsOf: displayTime(&at, h.now()), Clock: clockUTC(at), Reason: h.whyUnread(why)}
}

// markStale puts s on a card (nil: fresh, nothing to do).
func markStale(card *views.JobCard, s *views.Stale) {
	if s != nil {
		card.Stale = s
		card.Confirm.AsOf = staleCounts(s)
	}
}

// staleCounts tells a cancel confirmation that the counts it quotes are an
// older answer.
func staleCounts(s *views.Stale) string {
	return "These counts are Cloudflare's answer as of " + s.Clock + "; the job may have gone further since."
}

// unknownCard is the card of a job nothing is known of: its IDs, why it
// could not be read, Retry, and Cancel for those who may cancel (the status
// is unknown, so it may still be running). The confirmation says what a
// cancel does without the counts.
func unknownCard(accountID, jobID, why string, o cardOptions) views.JobCard {
	url := jobURL(accountID, jobID)
	return views.JobCard{
		ID: jobID, ShortID: jobID[:8], AccountID: accountID,
		URL: url, CardURL: cardURL(accountID, jobID), CancelURL: url + "/cancel", ConfirmURL: url + "?confirm=cancel",
		DialogURL:   dialogURL(accountID, jobID),
		StatusLabel: "Unknown", StatusClass: "unknown", Unknown: why,
		CanCancel: o.canCancel, CSRFToken: maskCSRF(o.csrf),
		Confirm: views.CancelConfirm{
			Title:       "Cancel job " + jobID[:8] + "?",
			Consequence: "If this job is still running, the messages it has not reached yet will not be moved or released.",
			Kept: "The number is unknown: Cloudflare could not be asked for the job's counters. Messages already moved or released stay where they are. " +
				"Cancelling cannot be undone; if the job has already finished, nothing is cancelled and the page says so.",
		},
	}
}

// clockUTC renders t as "09:02:13 UTC".
func clockUTC(t time.Time) string { return t.UTC().Format("15:04:05") + " UTC" }
