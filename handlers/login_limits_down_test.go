package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/respond/bulkjobs/handlers/loginlimit"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web/webtest"
)

// unreadableLimits is a Limiter whose database does not answer.
type unreadableLimits struct{ calls atomic.Int64 }

func (l *unreadableLimits) Check(context.Context, loginlimit.Attempt) (loginlimit.Verdict, error) {
	l.calls.Add(1)
	return loginlimit.Verdict{}, errors.New("dial tcp 127.0.0.1:5432: connection refused")
}

func (l *unreadableLimits) Start(context.Context, loginlimit.Attempt) (loginlimit.Verdict, func(bool), error) {
	l.calls.Add(1)
	return loginlimit.Verdict{}, nil, errors.New("dial tcp 127.0.0.1:5432: connection refused")
}

// When the login limits cannot be read, no password is checked (it would
// be a guess without limit): the login and the password change answer 503
// with Retry-After and a sentence saying why, never "too many attempts",
// and nobody is logged in.
func TestLoginLimitsUnreadable(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder) // for the password change
	limits := &unreadableLimits{}
	app.Handler.Logins = limits
	const want = "The password was not checked: the dashboard's database, which keeps the failed attempts of every replica, did not answer."

	fresh := app.Browser(t)
	resp := app.PostForm(t, fresh, "/login", url.Values{"email": {webtest.Viewer}, "password": {webtest.Password}})
	body := strings.Join(strings.Fields(readAll(t, resp)), " ")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, strings.ReplaceAll(want, "'", "&#39;")) || strings.Contains(body, "Too many") {
		t.Errorf("login: status %d, Retry-After %q; want 503 with the sentence:\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if resp, _ := fresh.Get(app.URL + "/credentials"); resp.StatusCode == http.StatusOK {
		t.Error("the login went through without its limits")
	}

	resp = app.PostForm(t, c, "/account/password", url.Values{"current": {webtest.Password}, "new": {"another long password"}, "confirm": {"another long password"}})
	body = readAll(t, resp)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, strings.ReplaceAll(want, "'", "&#39;")) {
		t.Errorf("password change: status %d; want 503 with the sentence:\n%s", resp.StatusCode, body)
	}
	if limits.calls.Load() == 0 {
		t.Fatal("the limiter was never asked")
	}
	events, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: store.ActionPasswordChange})
	if len(events) != 0 {
		t.Errorf("audit events = %+v, want none: no password was checked", events)
	}
}
