package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/views"
)

// errNoCredential means the user holds no credential for the account; the
// handler has already answered with a page offering to add one.
var errNoCredential = errors.New("no credential for account")

// validAccount returns the path's account ID, or a 404 when it is malformed.
// No upstream call is ever made for a malformed ID.
func validAccount(c echo.Context) (string, error) {
	id := c.Param("account_id")
	if !apiclient.ValidAccountID(id) {
		return "", echo.NewHTTPError(http.StatusNotFound, "There is no such account: account IDs are 32 lowercase hexadecimal characters.")
	}
	return id, nil
}

// validJob returns the path's account and job IDs, or a 404.
func validJob(c echo.Context) (string, string, error) {
	accountID, err := validAccount(c)
	if err != nil {
		return "", "", err
	}
	jobID := c.Param("job_id")
	if !apiclient.ValidJobID(jobID) {
		return "", "", echo.NewHTTPError(http.StatusNotFound, "There is no such job: job IDs are lowercase UUIDs.")
	}
	return accountID, jobID, nil
}

// credentialFor opens the user's credential for the account. When there is
// none it answers with a page (or, for htmx, a message) offering to add one and
// returns errNoCredential.
func (h *Handler) credentialFor(c echo.Context, accountID string) (apiclient.Credential, error) {
	u := userOf(c)
	stored, secret, err := h.Store.CredentialForAccount(c.Request().Context(), u.ID, accountID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		addURL := "/credentials?account_id=" + accountID
		if isFragment(c) {
			return apiclient.Credential{}, echo.NewHTTPError(http.StatusForbidden,
				"You have no Cloudflare credential for this account. Add one on the Credentials page.")
		}
		data := views.NoCredentialData{Page: h.page(c, "Credential needed", "credentials"), AccountID: accountID, AddURL: addURL}
		if rerr := render(c, http.StatusForbidden, views.NoCredentialPage(data)); rerr != nil {
			return apiclient.Credential{}, rerr
		}
		return apiclient.Credential{}, errNoCredential
	case errors.Is(err, store.ErrSecretUnreadable):
		return apiclient.Credential{}, echo.NewHTTPError(http.StatusConflict,
			"Your stored credential for this account can no longer be opened (the encryption key changed). Delete it and add it again.")
	case err != nil:
		return apiclient.Credential{}, err
	}
	cred := apiclient.Credential{APIToken: secret.Token, Email: secret.Email, APIKey: secret.Key}
	h.recorder().CredentialUsed(stored.ID, accountID, guard.Key(cred))
	return cred, nil
}

// upstreamStatus picks the HTTP status the dashboard answers with when a
// Cloudflare call failed, and passes a rate limit's wait on as Retry-After.
// The body always carries apiclient.Explain's sentence.
func upstreamStatus(c echo.Context, err error) int {
	setRetryAfter(c, err)
	return statusFor(err)
}

// budgetUnavailable explains a request the guard could not count: with
// several replicas the budget is counted in the database, and a request it
// cannot count is not sent.
const budgetUnavailable = "Nothing was sent to Cloudflare: the dashboard's database, where the requests of every replica are counted, " +
	"did not answer. Try again in a few seconds."

// explain is apiclient.Explain plus the guard's own holds: a spent read
// budget and an open breaker (both leave cancels free; a Retry-After block
// does not, and apiclient.Explain says so).
func explain(err error) string {
	if errors.Is(err, guard.ErrBudgetUnavailable) {
		return budgetUnavailable
	}
	var hold *guard.Hold
	if !errors.As(err, &hold) {
		return apiclient.Explain(err)
	}
	until := hold.Until.UTC().Format("15:04:05") + " UTC"
	switch {
	case errors.Is(err, guard.ErrBreakerOpen):
		return "Cloudflare failed " + strconv.Itoa(hold.Failures) + " times in a row; reads pause until " + until +
			" and the last good data is shown where there is some. Cancelling still works."
	case errors.Is(err, guard.ErrReadBudget):
		return "Reads for this credential are paused until " + until +
			" to keep Cloudflare's rate limit free for cancels. Cancelling still works."
	}
	return apiclient.Explain(err)
}

// statusFor maps an upstream error to the dashboard's answer status.
func statusFor(err error) int {
	switch {
	case errors.Is(err, guard.ErrReadBudget), errors.Is(err, guard.ErrBreakerOpen), errors.Is(err, guard.ErrBudgetUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, apiclient.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, apiclient.ErrRateLimited):
		return http.StatusServiceUnavailable
	case errors.Is(err, apiclient.ErrUnauthorized), errors.Is(err, apiclient.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, apiclient.ErrBadRequest):
		return http.StatusBadRequest
	}
	return http.StatusBadGateway
}

// setRetryAfter copies a rate limit's wait into the Retry-After header.
func setRetryAfter(c echo.Context, err error) {
	var apiErr *apiclient.APIError
	if errors.Is(err, apiclient.ErrRateLimited) && errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(apiErr.RetryAfter.Seconds())))
	}
}

// logUpstream records a failed Cloudflare call once, at Warn: the analyst sees
// the sentence, operators see the codes and the Ray ID. Error text never holds
// a credential.
func (h *Handler) logUpstream(c echo.Context, what string, err error) {
	attrs := []any{"err", err.Error(), "path", c.Path()}
	var apiErr *apiclient.APIError
	if errors.As(err, &apiErr) {
		attrs = append(attrs, "upstream_status", apiErr.StatusCode, "ray_id", apiErr.RayID)
	}
	h.Log.Warn(what, attrs...)
}
