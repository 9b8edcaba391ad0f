package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/handlers/loginlimit"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/views"
)

// ShowAccount handles GET /account.
func (h *Handler) ShowAccount(c echo.Context) error {
	return h.renderAccount(c, http.StatusOK, nil)
}

// renderAccount renders the account page with field errors.
func (h *Handler) renderAccount(c echo.Context, status int, errs map[string]string) error {
	u := userOf(c)
	data := views.AccountData{Page: h.page(c, "Your account", ""), Email: u.Email, Role: string(u.Role), Errors: errs}
	return render(c, status, views.AccountPage(data))
}

// ChangePassword handles POST /account/password. A new password ends every
// session of the user (the session version moves on); this one is renewed so
// the analyst stays signed in here.
func (h *Handler) ChangePassword(c echo.Context) error {
	ctx := c.Request().Context()
	u := userOf(c)
	current, next, confirm := c.FormValue("current"), c.FormValue("new"), c.FormValue("confirm")
	// Counted like a login from a new browser: the current password is
	// the account's password.
	attempt := loginlimit.Attempt{Email: u.Email, Addr: c.RealIP()}
	tooMany := func(wait time.Duration) error {
		c.Response().Header().Set("Retry-After", retryAfterSeconds(wait))
		return h.renderAccount(c, http.StatusTooManyRequests, map[string]string{"form": "Too many wrong passwords. Try again in " + apiclient.HumanDuration(wait) + "."})
	}
	v, done, err := h.startPasswordCheck(c, attempt)
	if err != nil || done == nil {
		if err == nil {
			err = tooMany(v.Wait)
		}
		return err
	}
	_, hash, err := h.Store.UserByEmail(ctx, u.Email)
	if err != nil {
		done(false)
		return err
	}
	ok, _ := store.VerifyPassword(hash, current)
	done(!ok)
	if !ok {
		h.audit(c, store.AuditEvent{Action: store.ActionPasswordChange, Outcome: "refused", Detail: "wrong current password"})
		return h.renderAccount(c, http.StatusUnauthorized, map[string]string{"current": "That is not your current password."})
	}
	if err := store.ValidatePassword(next); err != nil {
		return h.renderAccount(c, http.StatusUnprocessableEntity, map[string]string{"new": err.Error()})
	}
	if next != confirm {
		return h.renderAccount(c, http.StatusUnprocessableEntity, map[string]string{"confirm": "The two new passwords differ."})
	}
	newHash, err := store.HashPassword(next)
	if err != nil {
		return err
	}
	if err := h.Store.SetPassword(ctx, u.ID, newHash); err != nil {
		return err
	}
	fresh, err := h.Store.UserByID(ctx, u.ID)
	if err != nil {
		return err
	}
	sessionOf(c).login(fresh.ID, fresh.SessionVersion, h.now())
	h.audit(c, store.AuditEvent{Action: store.ActionPasswordChange, Outcome: "ok", Detail: "by the user; other sessions ended"})
	sessionOf(c).setFlash("Password changed. Your sessions on other devices have ended.")
	return c.Redirect(http.StatusSeeOther, "/account")
}
