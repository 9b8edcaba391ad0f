package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/web/webtest"
)

// PROCESSING jobs of the demo data.
const (
	metricsJob   = "52fb7adc-02ed-4225-a484-c02787b1eed3"
	metricsOther = "393e0585-506f-4823-9de8-52eb2a0cda47"
)

// credentialID returns the store ID of user's credential for the account.
func credentialID(t *testing.T, app *webtest.App, user string) string {
	t.Helper()
	cr, _, err := app.Store.CredentialForAccount(context.Background(), app.Users[user].ID, webtest.Account)
	if err != nil {
		t.Fatal(err)
	}
	return cr.ID
}

// Requests through the real app, scraped: routes by pattern, every upstream
// attempt (a 503 and its retry are two), the guard's cache, cancel outcomes,
// and the per-credential gauges labelled by the store's credential ID.
func TestMetricsAfterRealRequests(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	viewer := app.Login(t, webtest.Viewer)
	base := "/accounts/" + webtest.Account + "/jobs"
	card := base + "/" + metricsJob + "/card"

	// The card's account is read by its feed: the list read meets the 503
	// and its retry succeeds.
	app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointList, Kind: cfsim.FaultStatus, Status: 503, Count: 1})
	for range 2 { // the second is answered from the feed's snapshot
		if resp, body := app.Get(t, c, card, true); resp.StatusCode != http.StatusOK {
			t.Fatalf("card poll: status %d\n%s", resp.StatusCode, body)
		}
	}
	if resp, _ := app.Get(t, c, base, false); resp.StatusCode != http.StatusOK {
		t.Fatalf("list: status %d", resp.StatusCode)
	}
	if resp, _ := app.Get(t, viewer, base, false); resp.StatusCode != http.StatusOK {
		t.Fatalf("viewer's list: status %d", resp.StatusCode)
	}
	if resp, _ := app.Get(t, c, "/no/such/"+metricsOther, false); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path: status %d", resp.StatusCode)
	}
	app.Clock.Advance(3 * time.Second)
	if resp, body := app.HTMXPost(t, c, base+"/"+metricsOther, base+"/"+metricsOther+"/cancel", url.Values{"reason": {"wrong search"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("cancel: status %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := app.HTMXPost(t, viewer, base+"/"+metricsJob, base+"/"+metricsJob+"/cancel", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer's cancel: status %d", resp.StatusCode)
	}

	text := app.Scrape(t)
	samples := webtest.ParseMetrics(t, text)
	responder, viewerCred := credentialID(t, app, webtest.Responder), credentialID(t, app, webtest.Viewer)
	sentByResponder := 0
	for _, r := range app.Sim.Requests() {
		if r.Principal == "demo-responder" {
			sentByResponder++
		}
	}
	for _, tt := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"dashboard_http_requests_total", []string{"route", "/accounts/:account_id/jobs/:job_id/card", "method", "GET", "code", "200"}, 2},
		{"dashboard_http_requests_total", []string{"route", "/accounts/:account_id/jobs", "method", "GET", "code", "200"}, 2},
		{"dashboard_http_requests_total", []string{"route", "/accounts/:account_id/jobs/:job_id/cancel", "method", "POST", "code", "200"}, 1},
		{"dashboard_http_requests_total", []string{"route", "/accounts/:account_id/jobs/:job_id/cancel", "method", "POST", "code", "403"}, 1},
		{"dashboard_http_requests_total", []string{"route", "unmatched", "method", "GET", "code", "404"}, 1},
		{"dashboard_http_request_duration_seconds_count", []string{"route", "/accounts/:account_id/jobs/:job_id/card", "method", "GET"}, 2},
		{"dashboard_upstream_requests_total", []string{"endpoint", "list", "outcome", "5xx"}, 1},
		{"dashboard_upstream_requests_total", []string{"endpoint", "cancel", "outcome", "2xx"}, 1},
		{"dashboard_upstream_request_duration_seconds_count", []string{"endpoint", "cancel"}, 1},
		{"dashboard_cancels_total", []string{"outcome", "ok"}, 1},
		{"dashboard_cancels_total", []string{"outcome", "denied"}, 1},
		{"dashboard_upstream_budget_remaining", []string{"credential", responder, "kind", "write"}, float64(1200 - sentByResponder)},
		{"dashboard_upstream_budget_remaining", []string{"credential", responder, "kind", "read"}, float64(1000 - sentByResponder)},
		{"dashboard_upstream_blocked_seconds", []string{"credential", responder}, 0},
		{"dashboard_upstream_breaker_state", []string{"credential", responder, "state", "closed"}, 1},
		{"dashboard_upstream_breaker_state", []string{"credential", responder, "state", "open"}, 0},
		{"dashboard_upstream_breaker_state", []string{"credential", viewerCred, "state", "closed"}, 1},
		{"dashboard_metrics_credentials", nil, 2},
	} {
		got, ok := webtest.Metric(samples, tt.name, tt.labels...)
		if !ok || got != tt.want {
			t.Errorf("%s%q = %v (found %t), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	if got, ok := webtest.Metric(samples, "dashboard_guard_reads_total", "result", "miss"); !ok || got < 1 {
		t.Errorf("guard reads that went upstream = %v (found %t), want at least the feed's", got, ok)
	}
	// Every GET that reached Cloudflare is a 2xx attempt, and the 503 one more.
	gets := app.UpstreamCalls(http.MethodGet, "")
	got2xx, _ := webtest.Metric(samples, "dashboard_upstream_requests_total", "endpoint", "get", "outcome", "2xx")
	gotList, _ := webtest.Metric(samples, "dashboard_upstream_requests_total", "endpoint", "list", "outcome", "2xx")
	if int(got2xx+gotList)+1 != gets {
		t.Errorf("get and list 2xx attempts = %v + %v, plus the 503, want the simulator's %d GETs", got2xx, gotList, gets)
	}
	if sentByResponder < 3 {
		t.Errorf("the simulator saw %d requests of the responder, want the 503, its retry, the list…", sentByResponder)
	}

	// No label value is a secret, an email, a hash of a token, an ID from a
	// path or a raw path.
	forbidden := []string{cfsim.DemoWriteToken, cfsim.DemoReadToken, guard.Key(apiclient.Credential{APIToken: cfsim.DemoWriteToken}),
		guard.Key(apiclient.Credential{APIToken: cfsim.DemoReadToken}), webtest.Responder, webtest.Viewer, "@",
		webtest.Account, metricsJob, metricsOther, "/no/such", "?"}
	for _, s := range samples {
		for name, v := range s.Labels {
			for _, bad := range forbidden {
				if strings.Contains(v, bad) {
					t.Errorf("%s has label %s=%q, which contains %q", s.Name, name, v, bad)
				}
			}
		}
	}
}

// /metrics is never served by the dashboard's own listener: main serves it
// on DASHBOARD_METRICS_ADDR only.
func TestMetricsNotOnTheDashboardListener(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	for _, c := range []*http.Client{app.Browser(t), app.Login(t, webtest.Admin)} {
		resp, body := app.Get(t, c, "/metrics", false)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "dashboard_http_requests_total") {
			t.Errorf("GET /metrics on the dashboard: status %d\n%.300s", resp.StatusCode, body)
		}
	}
}
