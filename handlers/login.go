package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/handlers/loginlimit"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/views"
)

// Login handles POST /login. A browser that logged in to the account before
// presents its device cookie and is limited on its own, so wrong passwords
// typed elsewhere never lock it out; other browsers get the account's and
// the address's limits. Only failed password checks count.
func (h *Handler) Login(c echo.Context) error {
	ctx := c.Request().Context()
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	password := c.FormValue("password")
	next := SafeNext(c.FormValue("next"))
	attempt := loginlimit.Attempt{Email: email, Addr: c.RealIP(), Device: h.Sessions.devices.id(c.Request(), email)}
	fail := func(status int, msg string) error {
		data := views.LoginData{Page: h.page(c, "Log in", ""), Email: email, Next: next, Error: msg}
		return render(c, status, views.LoginPage(data))
	}
	tooMany := func(wait time.Duration) error {
		c.Response().Header().Set("Retry-After", retryAfterSeconds(wait))
		return fail(http.StatusTooManyRequests, "Too many failed attempts. Try again in "+apiclient.HumanDuration(wait)+".")
	}
	v, done, err := h.startPasswordCheck(c, attempt)
	if err != nil || done == nil {
		if err == nil {
			err = tooMany(v.Wait)
		}
		return err
	}
	failed := false
	defer func() { done(failed) }()
	u, hash, err := h.Store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		store.DummyVerify(password) // same cost as a real check
	case err != nil:
		return err
	}
	ok := false
	if err == nil {
		ok, _ = store.VerifyPassword(hash, password)
	}
	if !ok || u.Disabled {
		failed = true
		h.audit(c, store.AuditEvent{Action: "login_failed", UserEmail: email, Outcome: "refused", Detail: trustDetail(attempt, v)})
		return fail(http.StatusUnauthorized, "Wrong email or password.")
	}
	if err := h.Sessions.devices.issue(c, email); err != nil {
		h.Log.Error("make device cookie", "err", err.Error()) // the login still goes ahead
	}
	sessionOf(c).login(u.ID, u.SessionVersion, h.now())
	c.Set(ctxUser, &u)
	h.audit(c, store.AuditEvent{Action: "login", Outcome: "ok", Detail: trustDetail(attempt, v)})
	return c.Redirect(http.StatusSeeOther, next)
}

// trustDetail says in the audit log how an attempt was counted.
func trustDetail(a loginlimit.Attempt, v loginlimit.Verdict) string {
	switch {
	case v.Trusted:
		return "known browser (device cookie)"
	case a.Device != "":
		return "device cookie over its own limit; counted as a new browser"
	}
	return "new browser (no device cookie)"
}

// startPasswordCheck applies the login limits around a hash slot: refused
// early when attempt is over a limit, then, once it holds a slot, checked
// again (guesses that waited for slots together must not all get past the
// limit). A nil done with a nil error means refused: v.Wait says for how
// long. Otherwise the caller must call done(failed) once the password is
// checked; it records the outcome, then frees the slot for the next check.
func (h *Handler) startPasswordCheck(c echo.Context, attempt loginlimit.Attempt) (loginlimit.Verdict, func(failed bool), error) {
	ctx := c.Request().Context()
	if v, err := h.Logins.Check(ctx, attempt); err != nil || v.Wait > 0 {
		return v, nil, h.limitsUnreadable(c, err)
	}
	release, err := h.hashSlot(c)
	if err != nil {
		return loginlimit.Verdict{}, nil, err
	}
	v, done, err := h.Logins.Start(ctx, attempt)
	if err != nil || done == nil {
		release()
		return v, nil, h.limitsUnreadable(c, err)
	}
	return v, func(failed bool) { done(failed); release() }, nil
}

// limitsUnreadable answers an attempt whose login limits could not be read
// (with several replicas they are in the database): no password is checked
// unlimited, and the analyst is told why and to retry. nil stays nil.
func (h *Handler) limitsUnreadable(c echo.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, c.Request().Context().Err()) {
		return err // the client went away
	}
	h.Log.Error("read the login limits", "err", err.Error())
	c.Response().Header().Set("Retry-After", "5")
	return echo.NewHTTPError(http.StatusServiceUnavailable,
		"The password was not checked: the dashboard's database, which keeps the failed attempts of every replica, did not answer. Try again in a few seconds.")
}

// The bounds of the queue for a hashing slot, see hashSlot. A waiter costs
// a goroutine, not hashing memory.
const (
	maxHashWaiters = 256
	hashSlotWait   = 10 * time.Second
)

// hashSlot waits for one of the password-hashing slots (argon2id takes 12 MiB
// and a core per check), so a flood of logins cannot exhaust memory. A burst
// of real logins queues: when 500 analysts logged in within 10 s on two
// cores, a 3 s bound turned 89 of them away with "try again", and a
// responder who waits a few seconds more is better off. The queue is bounded in length
// (maxHashWaiters) and in time (hashSlotWait); past either the attempt is
// refused with 503 and Retry-After.
func (h *Handler) hashSlot(c echo.Context) (func(), error) {
	busy := func() (func(), error) {
		c.Response().Header().Set("Retry-After", "2")
		return nil, echo.NewHTTPError(http.StatusServiceUnavailable, "The server is busy checking other logins. Try again in a few seconds.")
	}
	select {
	case h.hashSlots() <- struct{}{}: // a free slot: no queue
		return func() { <-h.hashSlots() }, nil
	default:
	}
	if h.hashWaiters.Add(1) > maxHashWaiters {
		h.hashWaiters.Add(-1)
		return busy()
	}
	defer h.hashWaiters.Add(-1)
	t := time.NewTimer(hashSlotWait)
	defer t.Stop()
	select {
	case h.hashSlots() <- struct{}{}:
		return func() { <-h.hashSlots() }, nil
	case <-t.C:
		return busy()
	case <-c.Request().Context().Done():
		return nil, c.Request().Context().Err()
	}
}

// retryAfterSeconds formats a wait for the Retry-After header.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(int((d + time.Second - 1) / time.Second))
}
