package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web/webtest"
)

const (
	secJob     = "52fb7adc-02ed-4225-a484-c02787b1eed3" // PROCESSING
	secAccount = webtest.Account
)

// stateChanging lists every state-changing route with a form that would
// change something if it were accepted. credID is filled in per test.
func stateChanging(credID string) []struct {
	path string
	form url.Values
} {
	return []struct {
		path string
		form url.Values
	}{
		{"/credentials", url.Values{"label": {"forged"}, "account_id": {secAccount}, "kind": {"token"}, "token": {"forged-token-0000000000"}}},
		{"/credentials/" + credID + "/test", url.Values{}},
		{"/credentials/" + credID + "/delete", url.Values{}},
		{"/accounts/" + secAccount + "/jobs/" + secJob + "/cancel", url.Values{"reason": {"forged"}}},
		{"/account/password", url.Values{"current": {webtest.Password}, "new": {"forged password 123"}, "confirm": {"forged password 123"}}},
		{"/logout", url.Values{}},
	}
}

// snapshot is everything a refused request must leave untouched.
type snapshot struct {
	creds, audit int
	version      int64
	status       string
	posts        int
}

func takeSnapshot(t *testing.T, app *webtest.App, email string) snapshot {
	t.Helper()
	ctx := context.Background()
	u, _, _ := app.Store.UserByEmail(ctx, email)
	creds, _ := app.Store.Credentials(ctx, u.ID)
	audit, _ := app.Store.ListAudit(ctx, store.AuditFilter{Limit: 1000})
	job, _ := app.Sim.Job(secAccount, secJob)
	n := 0
	for _, r := range app.Sim.Requests() {
		if r.Method != http.MethodGet {
			n++
		}
	}
	return snapshot{creds: len(creds), audit: len(audit), version: u.SessionVersion, status: job.Status, posts: n}
}

func TestCSRFRefusals(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	token := app.CSRF(t, c)
	other := app.Login(t, webtest.Viewer)
	otherToken := app.CSRF(t, other)
	creds, _ := app.Store.Credentials(context.Background(), app.Users[webtest.Responder].ID)
	credID := creds[0].ID
	base, _ := url.Parse(app.URL)

	attempts := []struct {
		name   string
		mutate func(req *http.Request, form url.Values)
	}{
		{"no token", func(req *http.Request, f url.Values) {}},
		{"wrong token", func(req *http.Request, f url.Values) { f.Set("csrf", "AAAA"+token[4:]) }},
		{"token from another session", func(req *http.Request, f url.Values) { f.Set("csrf", otherToken) }},
		{"forged cookie plus matching header", func(req *http.Request, f url.Values) {
			req.AddCookie(&http.Cookie{Name: "csrf", Value: "attacker-chosen"})
			req.AddCookie(&http.Cookie{Name: "_csrf", Value: "attacker-chosen"})
			req.Header.Set("X-CSRF-Token", "attacker-chosen")
		}},
		{"Sec-Fetch-Site cross-site", func(req *http.Request, f url.Values) {
			f.Set("csrf", token)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}},
		{"foreign Origin", func(req *http.Request, f url.Values) {
			f.Set("csrf", token)
			req.Header.Set("Origin", "https://evil.example")
		}},
		{"method override in the form", func(req *http.Request, f url.Values) { f.Set("_method", "GET") }},
		{"method override header", func(req *http.Request, f url.Values) {
			req.Header.Set("X-HTTP-Method-Override", "GET")
			req.Header.Set("X-HTTP-Method", "GET")
		}},
	}
	before := takeSnapshot(t, app, webtest.Responder)
	for _, a := range attempts {
		for _, route := range stateChanging(credID) {
			form := url.Values{}
			for k, v := range route.form {
				form[k] = v
			}
			req, _ := http.NewRequest(http.MethodPost, app.URL+route.path, nil)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", app.URL)
			a.mutate(req, form)
			req.Body = ioNopCloser(form.Encode())
			for _, ck := range c.Jar.Cookies(base) {
				req.AddCookie(ck)
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: POST %s = %d, want 403", a.name, route.path, resp.StatusCode)
			}
		}
	}
	if after := takeSnapshot(t, app, webtest.Responder); after != before {
		t.Errorf("refused requests changed state: before %+v, after %+v", before, after)
	}
}

func TestGETOnStateChangingRoutesIs405(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	for _, route := range append(stateChanging("0190c2b3-1111-7000-8000-000000000000"), struct {
		path string
		form url.Values
	}{"/login", nil}) {
		if route.path == "/login" || route.path == "/credentials" {
			continue // GET is the page with the form
		}
		resp, _ := app.Get(t, c, route.path, false)
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET %s = %d, want 405", route.path, resp.StatusCode)
		}
	}
	if app.UpstreamCalls(http.MethodPost, "") != 0 {
		t.Error("a GET made an upstream POST")
	}
}

func ioNopCloser(s string) *nopCloser { return &nopCloser{strings.NewReader(s)} }

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }
