package handlers

import (
	"context"
	"errors"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/store"
)

// reconcileBatch bounds one pass of ReconcileCancels.
const reconcileBatch = 50

// ReconcileCancels settles the cancel rows that a process left pending when
// it stopped between the POST and recording Cloudflare's answer (a crash, a
// kill): each is checked by reading the job with the acting analyst's own
// credential, and its outcome says what the read showed. A row whose job
// cannot be read now (Cloudflare unavailable, reads paused) stays pending for
// the next pass; one that can never be read (no credential any more, the job
// gone) is closed as unknown. Until then the audit page shows such a row as
// "outcome unknown, check the job". It returns how many rows it settled.
func (h *Handler) ReconcileCancels(ctx context.Context) (int, error) {
	now := h.now()
	rows, err := h.Store.PendingCancels(ctx, now.Add(-h.cancelLease()), reconcileBatch)
	if err != nil {
		return 0, err
	}
	settled := 0
	for _, row := range rows {
		outcome, detail, ok := h.reconcileOne(ctx, row)
		if !ok {
			continue
		}
		detail = "reconciled at " + now.UTC().Format(time.RFC3339) + " after the dashboard stopped mid-cancel: " + detail
		if err := h.Store.FinishCancel(ctx, row.ID, outcome, detail); err != nil {
			return settled, err
		}
		settled++
	}
	return settled, nil
}

// reconcileOne reads row's job and says what the cancel came to; ok is false
// when that cannot be known yet.
func (h *Handler) reconcileOne(ctx context.Context, row store.AuditEvent) (outcome, detail string, ok bool) {
	_, secret, err := h.Store.CredentialForAccount(ctx, row.UserID, row.AccountID)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrSecretUnreadable):
		return store.CancelUnknown, "the analyst's credential for the account is gone, so the job could not be read; check the job", true
	case err != nil:
		return "", "", false
	}
	cred := apiclient.Credential{APIToken: secret.Token, Email: secret.Email, APIKey: secret.Key}
	job, err := h.readBack(ctx, cred, row.AccountID, row.JobID)
	switch {
	case errors.Is(err, apiclient.ErrNotFound):
		return store.CancelUnknown, "the job no longer exists at Cloudflare", true
	case errors.Is(err, apiclient.ErrUnauthorized), errors.Is(err, apiclient.ErrForbidden):
		return store.CancelUnknown, "Cloudflare refused to show the job to the analyst's credential; check the job", true
	case err != nil:
		return "", "", false
	}
	res := judge(job, "")
	switch res.outcome {
	case "ok":
		return "ok", "the job reads CANCELLED", true
	case "already_finished":
		return res.outcome, "the job finished as " + string(job.Status), true
	}
	return res.outcome, "the job is still " + string(job.Status) + "; the cancel did not take effect", true
}

// auditOutcome is how the audit page and export show an event's outcome: a
// cancel still pending past its lease, or closed as unknown, is "outcome
// unknown, check the job"; a younger pending one is waiting for its answer.
func (h *Handler) auditOutcome(e store.AuditEvent) string {
	switch {
	case e.Action != store.ActionJobCancel:
		return e.Outcome
	case e.PendingTooLong(h.now(), h.cancelLease()), e.Outcome == store.CancelUnknown:
		return "outcome unknown, check the job"
	case e.Outcome == store.CancelPending:
		return "pending: waiting for Cloudflare's answer"
	}
	return e.Outcome
}
