package web_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

// Canary secrets: recognisable, so any copy of them anywhere is found.
const (
	canaryToken    = "CANARYtok-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	canaryPassword = "CANARYpw-correct-horse-7731"
	canaryKey      = "CANARYkey-0a1b2c3d4e5f60718293"
)

// recorder keeps every response (status line, headers, body) a test client
// received.
type recorder struct {
	next http.RoundTripper
	buf  bytes.Buffer
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.Header.Write(&r.buf)
	r.buf.Write(body)
	return resp, nil
}

// TestCanarySecretsGoNowhere runs every flow with a canary token, global key
// and password, then searches logs, pages, fragments, headers, the
// simulator's request log and the database files for them.
func TestCanarySecretsGoNowhere(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{Principals: []cfsim.Principal{
		{Name: "canary", Token: canaryToken, Accounts: map[string]cfsim.Permission{secAccount: cfsim.PermWrite}},
		{Name: "canary-key", Email: "canary@test.example", Key: canaryKey, Accounts: map[string]cfsim.Permission{cfsim.DemoSecondAccountID: cfsim.PermRead}},
	}})
	app.Echo.GET("/test-panic", func(c echo.Context) error { panic("handler panic") })
	rec := &recorder{next: http.DefaultTransport}
	c := app.Browser(t)
	c.Transport = rec

	// Login with a wrong canary password, then the right one after setting it.
	readAll(t, app.PostForm(t, c, "/login", url.Values{"email": {webtest.Nobody}, "password": {canaryPassword}}))
	readAll(t, app.PostForm(t, c, "/login", url.Values{"email": {webtest.Nobody}, "password": {webtest.Password}}))
	readAll(t, app.PostForm(t, c, "/account/password", url.Values{"current": {webtest.Password}, "new": {canaryPassword}, "confirm": {canaryPassword}}))
	readAll(t, app.PostForm(t, c, "/logout", url.Values{}))
	readAll(t, app.PostForm(t, c, "/login", url.Values{"email": {webtest.Nobody}, "password": {canaryPassword}}))

	// Save, test, use.
	readAll(t, app.PostForm(t, c, "/credentials", url.Values{"label": {"canary"}, "account_id": {secAccount}, "kind": {"token"}, "token": {canaryToken}}))
	readAll(t, app.PostForm(t, c, "/credentials", url.Values{"label": {"canary key"}, "account_id": {cfsim.DemoSecondAccountID}, "kind": {"key"},
		"email": {"canary@test.example"}, "key": {canaryKey}}))
	readAll(t, app.PostForm(t, c, "/credentials", url.Values{"label": {"bad"}, "account_id": {"not-hex"}, "kind": {"token"}, "token": {canaryToken}}))
	creds, _ := app.Store.Credentials(t.Context(), app.Users[webtest.Nobody].ID)
	for _, cr := range creds {
		readAll(t, app.PostForm(t, c, "/credentials/"+cr.ID+"/test", url.Values{}))
	}
	job := "/accounts/" + secAccount + "/jobs/" + secJob
	for _, p := range []string{"/credentials", "/accounts", "/accounts/" + secAccount + "/jobs", job, job + "/messages",
		"/accounts/" + cfsim.DemoSecondAccountID + "/jobs", "/audit", "/audit.csv", "/account", "/test-panic"} {
		app.Get(t, c, p, false)
		app.Get(t, c, p, true)
	}
	// Each upstream error class.
	for _, f := range []cfsim.Fault{
		{Kind: cfsim.FaultStatus, Status: 503, Count: 3}, {Kind: cfsim.FaultMalformed, Count: 3},
		{Kind: cfsim.FaultHTML, Status: 502, Count: 3}, {Kind: cfsim.FaultDrop, Count: 20},
		{Kind: cfsim.FaultRateLimit, RetryAfter: time.Minute, Count: 1},
	} {
		app.Clock.Advance(31 * time.Second) // past the guard's cache and the breaker's cool-down, so the fault is met
		before := len(app.Sim.Requests())
		app.Sim.InjectFault(f)
		resp, body := app.Get(t, c, job, false)
		app.Sim.ClearFaults()
		// A rate limit is answered with the last good data, marked stale.
		if len(app.Sim.Requests()) == before || resp.StatusCode < 400 && !strings.Contains(body, "Showing Cloudflare") {
			t.Errorf("fault %v was not met: status %d, %d requests", f.Kind, resp.StatusCode, len(app.Sim.Requests())-before)
		}
	}
	app.Clock.Advance(2 * time.Minute) // past the rate limit's Retry-After
	// Cancel: refused by a fault, then done.
	app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointCancel, Kind: cfsim.FaultStatus, Status: 500, Count: 1})
	app.HTMXPost(t, c, job, job+"/cancel", url.Values{"reason": {"canary run"}})
	app.HTMXPost(t, c, job, job+"/cancel", url.Values{"reason": {"canary run"}})
	// A read-only key trying to cancel in the second account.
	other := "/accounts/" + cfsim.DemoSecondAccountID + "/jobs/8a4a2689-7fef-4609-89a5-0977a344b556"
	app.HTMXPost(t, c, other, other+"/cancel", url.Values{})
	if app.UpstreamCalls(http.MethodPost, "/cancel") < 2 {
		t.Fatal("the flows did not reach the upstream cancel")
	}

	places := map[string]string{
		"logs":                  app.Logs.String(),
		"responses and headers": rec.buf.String(),
	}
	var simLog strings.Builder
	for _, r := range app.Sim.Requests() {
		simLog.WriteString(r.Method + " " + r.Path + " " + r.Principal + "\n")
	}
	places["simulator request log"] = simLog.String()
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(app.DBPath), "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		places["file "+filepath.Base(f)] = string(b)
	}
	for where, text := range places {
		for _, canary := range []string{canaryToken, canaryPassword, canaryKey} {
			if strings.Contains(text, canary) {
				t.Errorf("%s contains the canary %s…", where, canary[:10])
			}
		}
	}
	if !strings.Contains(app.Logs.String(), "handler panic") || rec.buf.Len() < 10000 {
		t.Error("the flows did not run (no panic logged or few responses recorded)")
	}
}
