package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/views"
)

// maxReasonLen bounds the optional cancel reason kept in the audit log.
const maxReasonLen = 500

// CancelJob handles POST /accounts/:account_id/jobs/:job_id/cancel. It checks
// the role, the IDs and the user's credential, then runs the cancel (see
// cancelOnce: one per job at a time, audited before and after the call) and
// answers with the card rebuilt from Cloudflare's answer. Without htmx it
// redirects to the job page with a flash message.
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
		h.recorder().CancelOutcome(ev.Outcome)
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
	var version uint64
	if res.job != nil && res.current {
		// Cloudflare's answer goes into the snapshot, so the next poll of
		// any tab shows it instead of the read before the cancel.
		version = h.feeds().Put(cred, accountID, res.job)
	}
	if !isFragment(c) {
		msg := res.notice
		if res.message != "" {
			msg = withReference(c, res.message)
		}
		sessionOf(c).setFlash(msg)
		return c.Redirect(http.StatusSeeOther, jobURL(accountID, jobID))
	}
	if res.job == nil {
		// Nothing to rebuild the card from: keep the card as it is (its button
		// works again) and say why in the flash region.
		return echo.NewHTTPError(res.status, res.message)
	}
	card := h.card(c, accountID, res.job, false)
	card.CardURL = withShown(card.CardURL, version, "")
	card.Error, card.Notice = res.message, res.notice
	return render(c, res.status, views.JobCardView(card))
}
