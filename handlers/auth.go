package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/views"
)

// Context keys set by the session middleware.
const (
	ctxSession = "session"
	ctxUser    = "user"
)

// sessionOf returns the request's session (set by LoadSession).
func sessionOf(c echo.Context) *Session { s, _ := c.Get(ctxSession).(*Session); return s }

// userOf returns the signed-in user, or nil.
func userOf(c echo.Context) *store.User { u, _ := c.Get(ctxUser).(*store.User); return u }

// LoadSession reads the session cookie, checks its timeouts and session
// version against the store, and puts the session and user in the context.
// The cookie is written back before the response when it changed.
//
// A read (GET, HEAD) may be answered from the store's short cache (see
// store.Cache: a change made in this process is seen by the next request,
// one made elsewhere within about a second). Anything else changes state,
// so its user and credential are read from the database.
func (h *Handler) LoadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead {
			c.SetRequest(c.Request().WithContext(store.Uncached(c.Request().Context())))
		}
		s := h.Sessions.load(c.Request())
		c.Set(ctxSession, s)
		if uid := s.userID(); uid != 0 {
			u, err := h.Store.UserByID(c.Request().Context(), uid)
			switch {
			case err != nil && !errors.Is(err, store.ErrNotFound):
				return err
			case err != nil, u.Disabled, u.SessionVersion != s.version():
				s.clear()
			case h.Sessions.expired(s):
				s.clear()
				s.setFlash("Your session expired; log in again.")
			default:
				if !isPoll(c) { // a tab left open must not keep a session alive
					h.Sessions.touch(s)
				}
				c.Set(ctxUser, &u)
			}
		}
		s.CSRFToken() // make sure forms on this page have a token
		c.Response().Header().Set("Cache-Control", "no-store")
		c.Response().Before(func() {
			if err := h.Sessions.save(c, s); err != nil {
				h.Log.Error("save session", "err", err)
			}
		})
		return next(c)
	}
}

// RequireUser sends anonymous visitors to the login page, keeping the page they
// asked for. An htmx request gets HX-Redirect, never a login form in a card.
func (h *Handler) RequireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if userOf(c) != nil {
			return next(c)
		}
		target := c.Request().URL.RequestURI()
		if c.Request().Header.Get(HXRequest) == "true" {
			if cur, err := url.Parse(c.Request().Header.Get(HXCurrentURL)); err == nil && cur.Path != "" {
				target = cur.RequestURI()
			}
			c.Response().Header().Set(HXRedirect, loginURL(target))
			return c.NoContent(http.StatusUnauthorized)
		}
		if c.Request().Method != http.MethodGet {
			target = "/"
		}
		return c.Redirect(http.StatusSeeOther, loginURL(target))
	}
}

// RequireCSRF refuses state-changing requests that are cross-origin (Go's
// CrossOriginProtection: Sec-Fetch-Site and Origin) or lack the session's
// synchronizer token in the X-CSRF-Token header or the csrf form field.
func (h *Handler) RequireCSRF(cop *http.CrossOriginProtection) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			// A browser that says the request is cross-site is believed even
			// when the Origin is a trusted one: trusted origins are there for
			// proxies that rewrite Host, not to override Sec-Fetch-Site.
			site := r.Header.Get("Sec-Fetch-Site")
			if site != "" && site != "same-origin" && site != "none" {
				return echo.NewHTTPError(http.StatusForbidden, "This request came from another site and was refused.")
			}
			if err := cop.Check(r); err != nil {
				return echo.NewHTTPError(http.StatusForbidden, "This request came from another site and was refused.")
			}
			got := r.Header.Get("X-CSRF-Token")
			if got == "" {
				got = c.FormValue("csrf")
			}
			if !csrfMatches(got, sessionOf(c).csrf()) {
				return echo.NewHTTPError(http.StatusForbidden, "This form has expired. Reload the page and try again.")
			}
			return next(c)
		}
	}
}

// ShowLogin handles GET /login.
func (h *Handler) ShowLogin(c echo.Context) error {
	next := SafeNext(c.QueryParam("next"))
	if userOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return render(c, http.StatusOK, views.LoginPage(views.LoginData{Page: h.page(c, "Log in", ""), Next: next}))
}

// Logout handles POST /logout. It ends every session of the user, on every
// device, by bumping the session version.
func (h *Handler) Logout(c echo.Context) error {
	if u := userOf(c); u != nil {
		if _, err := h.Store.BumpSessionVersion(c.Request().Context(), u.ID); err != nil {
			return err
		}
		h.audit(c, store.AuditEvent{Action: "logout", Outcome: "ok"})
	}
	sessionOf(c).clear()
	sessionOf(c).setFlash("You are logged out.")
	return c.Redirect(http.StatusSeeOther, "/login")
}

// loginURL is the login page that returns to target afterwards.
func loginURL(target string) string {
	target = SafeNext(target)
	if target == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(target)
}

// SafeNext returns target when it is a local path on this site, else "/".
// Protocol-relative ("//host"), backslash tricks ("/\host", "%5C"), schemes,
// hosts and control characters are all refused.
func SafeNext(target string) string {
	if target == "" || len(target) > 2048 || target[0] != '/' {
		return "/"
	}
	unescaped, err := url.PathUnescape(target)
	if err != nil {
		return "/"
	}
	for _, s := range []string{target, unescaped} {
		if strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\") {
			return "/"
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				return "/"
			}
		}
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return target
}

// page builds the layout data for a full page.
func (h *Handler) page(c echo.Context, title, nav string) views.Page {
	p := views.Page{Title: title, Nav: nav}
	if s := sessionOf(c); s != nil {
		p.CSRFToken = maskCSRF(s.CSRFToken()) // see csrfmask.go
		if msg := s.takeFlash(); msg != "" {
			p.Flash = &views.Flash{Kind: "info", Message: msg}
		}
	}
	if u := userOf(c); u != nil {
		p.User = &views.UserInfo{Email: u.Email, Role: string(u.Role), Admin: u.CanAdmin()}
	}
	return p
}

// audit writes an audit event for the current user; a failure is logged, not
// shown: the user's action already happened. The write outlives the request's
// context, so a browser that goes away cannot erase the record of an action
// that reached Cloudflare.
func (h *Handler) audit(c echo.Context, e store.AuditEvent) {
	e = h.auditEvent(c, e)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 5*time.Second)
	defer cancel()
	if err := h.Store.AddAudit(ctx, e); err != nil {
		h.Log.Error("write audit event", "err", err.Error(), "action", e.Action, "account_id", e.AccountID,
			"job_id", e.JobID, "outcome", e.Outcome)
	}
}

// auditEvent fills in who acted, from where and when.
func (h *Handler) auditEvent(c echo.Context, e store.AuditEvent) store.AuditEvent {
	if u := userOf(c); u != nil {
		e.UserID, e.UserEmail = u.ID, u.Email
	}
	e.RemoteAddr = c.RealIP()
	if e.At.IsZero() {
		e.At = h.now()
	}
	return e
}
