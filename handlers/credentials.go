package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/views"
)

// ShowCredentials handles GET /credentials. ?account_id= prefills the form (a
// shared link to an account the user has no credential for lands here).
func (h *Handler) ShowCredentials(c echo.Context) error {
	form := views.CredentialForm{Kind: "token"}
	if id := c.QueryParam("account_id"); apiclient.ValidAccountID(id) {
		form.AccountID = id
		form.Notice = "Add a Cloudflare credential for account " + id + " to open the link you followed."
	}
	return h.renderCredentials(c, http.StatusOK, form)
}

// renderCredentials renders the page with the user's credentials and form.
func (h *Handler) renderCredentials(c echo.Context, status int, form views.CredentialForm) error {
	u := userOf(c)
	creds, err := h.Store.Credentials(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	data := views.CredentialsData{Page: h.page(c, "Credentials", "credentials"), Form: form}
	now := h.now()
	for _, cr := range creds {
		row := views.CredentialRow{
			ID: cr.ID, Label: cr.Label, AccountID: cr.AccountID, Kind: "API token", Last4: cr.Last4,
			CreatedAt: displayTime(&cr.CreatedAt, now),
			TestURL:   "/credentials/" + cr.ID + "/test", DeleteURL: "/credentials/" + cr.ID + "/delete",
			JobsURL: jobsURL(cr.AccountID),
		}
		if cr.Kind == store.CredentialGlobalKey {
			row.Kind = "Global API key (" + cr.Email + ")"
		}
		if cr.LastTestOK != nil {
			row.TestOK = *cr.LastTestOK
			row.TestResult = "Failed " + displayTime(cr.LastTestedAt, now).Relative
			if row.TestOK {
				row.TestResult = "Worked " + displayTime(cr.LastTestedAt, now).Relative
			}
		}
		data.Credentials = append(data.Credentials, row)
	}
	return render(c, status, views.CredentialsPage(data))
}

// AddCredential handles POST /credentials: it stores the credential sealed,
// then tests it with one list call and reports the result.
func (h *Handler) AddCredential(c echo.Context) error {
	u := userOf(c)
	form := views.CredentialForm{
		Label: c.FormValue("label"), AccountID: c.FormValue("account_id"),
		Kind: c.FormValue("kind"), Email: c.FormValue("email"), Errors: map[string]string{},
	}
	nc := store.NewCredential{UserID: u.ID, Label: form.Label, AccountID: form.AccountID}
	switch form.Kind {
	case "token":
		nc.Kind, nc.Secret = store.CredentialAPIToken, store.Secret{Token: c.FormValue("token")}
	case "key":
		nc.Kind, nc.Secret = store.CredentialGlobalKey, store.Secret{Email: form.Email, Key: c.FormValue("key")}
	default:
		form.Kind = "token"
		form.Errors["kind"] = "Choose an API token or a global API key."
		return h.renderCredentials(c, http.StatusUnprocessableEntity, form)
	}
	cr, err := h.Store.AddCredential(c.Request().Context(), nc)
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		form.Errors["form"] = verr.Message
		return h.renderCredentials(c, http.StatusUnprocessableEntity, form)
	} else if err != nil {
		return err
	}
	h.audit(c, store.AuditEvent{Action: store.ActionCredentialAdd, AccountID: cr.AccountID, Outcome: "ok", Detail: "label: " + cr.Label})
	msg := h.testCredential(c, cr.ID)
	sessionOf(c).setFlash("Saved “" + cr.Label + "”. " + msg)
	return c.Redirect(http.StatusSeeOther, "/credentials")
}

// TestCredential handles POST /credentials/:id/test.
func (h *Handler) TestCredential(c echo.Context) error {
	u := userOf(c)
	cr, err := h.Store.Credential(c.Request().Context(), u.ID, c.Param("id"))
	if err != nil {
		return h.missingCredential(c, cr, err)
	}
	sessionOf(c).setFlash("“" + cr.Label + "”: " + h.testCredential(c, cr.ID))
	return c.Redirect(http.StatusSeeOther, "/credentials")
}

// testCredential makes one list call with the credential, records the outcome
// and returns a sentence about it.
func (h *Handler) testCredential(c echo.Context, id string) string {
	u := userOf(c)
	ctx := c.Request().Context()
	cr, secret, err := h.Store.OpenCredential(ctx, u.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return "It was deleted meanwhile, so there is nothing to test."
	} else if err != nil {
		return "It could not be opened: delete it and add it again."
	}
	cred := apiclient.Credential{APIToken: secret.Token, Email: secret.Email, APIKey: secret.Key}
	uctx, cancel := h.upstreamCtx(guard.Uncached(ctx)) // a test must ask Cloudflare, not the cache
	defer cancel()
	_, _, err = h.API.ListJobs(uctx, cred, cr.AccountID, apiclient.ListJobsOptions{PerPage: 1})
	ok := err == nil
	// A credential deleted meanwhile has nothing to record the result on.
	if rerr := h.Store.RecordCredentialTest(ctx, u.ID, id, ok, h.now()); rerr != nil && !errors.Is(rerr, store.ErrNotFound) {
		h.Log.Error("record credential test", "err", rerr)
	}
	outcome := "ok"
	if !ok {
		outcome = "failed"
		h.logUpstream(c, "test credential", err)
	}
	h.audit(c, store.AuditEvent{Action: store.ActionCredentialTest, AccountID: cr.AccountID, Outcome: outcome})
	if ok {
		return "Test passed: Cloudflare accepted it and listed this account's bulk jobs."
	}
	return withReference(c, "Test failed: "+explain(err))
}

// DeleteCredential handles POST /credentials/:id/delete. Finding and deleting
// the row is one step in the store, so a double click deletes once and the
// second click is told the credential is already deleted.
func (h *Handler) DeleteCredential(c echo.Context) error {
	u := userOf(c)
	// The secret is read first: it names the credential's live feeds, which
	// stop with it (a colleague holding the same token starts a new one).
	_, secret, openErr := h.Store.OpenCredential(c.Request().Context(), u.ID, c.Param("id"))
	cr, err := h.Store.DeleteCredential(c.Request().Context(), u.ID, c.Param("id"))
	if err != nil {
		return h.missingCredential(c, cr, err)
	}
	if openErr == nil {
		h.feeds().Forget(apiclient.Credential{APIToken: secret.Token, Email: secret.Email, APIKey: secret.Key})
	}
	h.audit(c, store.AuditEvent{Action: store.ActionCredentialDelete, AccountID: cr.AccountID, Outcome: "ok", Detail: "label: " + cr.Label})
	sessionOf(c).setFlash("Deleted “" + cr.Label + "”.")
	return c.Redirect(http.StatusSeeOther, "/credentials")
}

// missingCredential answers a credential lookup that failed: one the user
// deleted earlier sends them back to the list saying so (by its label when
// the store gave it), one that never was theirs is a 404, and anything else
// is an internal error.
func (h *Handler) missingCredential(c echo.Context, cr store.Credential, err error) error {
	switch {
	case errors.Is(err, store.ErrAlreadyDeleted):
		name := "That credential"
		if cr.Label != "" {
			name = "“" + cr.Label + "”"
		}
		sessionOf(c).setFlash(name + " was already deleted; nothing more was done.")
		return c.Redirect(http.StatusSeeOther, "/credentials")
	case errors.Is(err, store.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, "There is no such credential.")
	}
	return err
}
