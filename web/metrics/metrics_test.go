package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func newMetrics(t *testing.T, o Options) *Metrics {
	t.Helper()
	m, err := New(prometheus.NewRegistry(), o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A path no route matches is labelled "unmatched", never by its text, and a
// method no browser sends is "other": a client cannot mint label values.
func TestRouteLabelsAreBounded(t *testing.T) {
	m := newMetrics(t, Options{})
	e := echo.New()
	e.Use(m.Middleware())
	e.GET("/accounts/:account_id/jobs", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	for _, r := range []struct{ method, path string }{
		{"GET", "/accounts/0123456789abcdef0123456789abcdef/jobs"},
		{"GET", "/accounts/0123456789abcdef0123456789abcdef/jobs"},
		{"GET", "/secret-token-in-a-path"},
		{"BREW", "/accounts/x/jobs"},
	} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(r.method, r.path, nil))
	}
	text := scrape(t, m)
	for _, want := range []string{
		`dashboard_http_requests_total{code="204",method="GET",route="/accounts/:account_id/jobs"} 2`,
		`dashboard_http_unchanged_total{route="/accounts/:account_id/jobs"} 2`,
		`dashboard_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`dashboard_http_requests_total{code="405",method="other",route="/accounts/:account_id/jobs"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	for _, bad := range []string{"secret-token", "0123456789abcdef", "BREW"} {
		if strings.Contains(text, bad) {
			t.Errorf("scrape contains %q", bad)
		}
	}
}

// The credential map is bounded and forgets credentials no request used
// for a while; their series go with them.
func TestCredentialsBoundedAndForgotten(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	m := newMetrics(t, Options{Now: clk.Now, MaxCredentials: 2, CredentialIdle: time.Minute})
	m.CredentialUsed("cred-a", "acct", "key-a")
	clk.t = clk.t.Add(time.Second)
	m.CredentialUsed("cred-b", "acct", "key-b")
	clk.t = clk.t.Add(time.Second)
	m.CredentialUsed("cred-a", "acct", "key-a") // a is now the most recent
	m.CredentialUsed("cred-c", "acct", "key-c") // full: b, the least recent, goes
	got := map[string]bool{}
	for _, r := range m.state.creds.list() {
		got[r.id] = true
	}
	if len(got) != 2 || !got["cred-a"] || !got["cred-c"] {
		t.Errorf("credentials = %v, want cred-a and cred-c", got)
	}
	clk.t = clk.t.Add(time.Minute)
	if rows := m.state.creds.list(); len(rows) != 0 {
		t.Errorf("credentials after a minute idle = %v, want none", rows)
	}
	m.CredentialUsed("", "acct", "key") // no ID: nothing to label
	if rows := m.state.creds.list(); len(rows) != 0 {
		t.Errorf("a credential without ID was kept: %v", rows)
	}
}

// fakeFeeds is a Refresher's view for the scrape.
type fakeFeeds struct {
	clk   *fakeClock
	stats []guard.FeedStat
}

func (f *fakeFeeds) FeedStats() []guard.FeedStat { return f.stats }
func (f *fakeFeeds) Now() time.Time              { return f.clk.Now() }

// The refresher's gauges are computed at scrape time: feeds running, and
// the age of each credential's snapshot, labelled by credential ID.
func TestRefresherGauges(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	m := newMetrics(t, Options{Now: clk.Now})
	feeds := &fakeFeeds{clk: clk, stats: []guard.FeedStat{
		{Key: "key-a", Account: "acct-1", At: clk.t.Add(-7 * time.Second), Role: "leader"},
		{Key: "key-a", Account: "acct-2", Role: "follower"}, // no data yet: no age
		{Key: "key-z", Account: "acct-1", At: clk.t, Role: "follower"},
	}}
	m.Refresher(feeds)
	m.CredentialUsed("cred-a1", "acct-1", "key-a")
	m.CredentialUsed("cred-a2", "acct-2", "key-a")
	text := scrape(t, m)
	for _, want := range []string{
		"dashboard_refresher_feeds 3",
		`dashboard_refresher_feeds_by_role{role="leader"} 1`,
		`dashboard_refresher_feeds_by_role{role="follower"} 2`,
		`dashboard_refresher_feeds_by_role{role="solo"} 0`,
		`dashboard_refresher_snapshot_age_seconds{credential="cred-a1"} 7`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	for _, bad := range []string{`credential="cred-a2"`, "key-a", "key-z", "acct-1"} {
		if strings.Contains(text, bad) {
			t.Errorf("scrape contains %s", bad)
		}
	}
}

// Outcomes the handlers do not know are counted as "other".
func TestCancelOutcomeBounded(t *testing.T) {
	m := newMetrics(t, Options{})
	m.CancelOutcome("ok")
	m.CancelOutcome("something new\n")
	text := scrape(t, m)
	if !strings.Contains(text, `dashboard_cancels_total{outcome="ok"} 1`) || !strings.Contains(text, `dashboard_cancels_total{outcome="other"} 1`) {
		t.Errorf("cancel outcomes:\n%s", text)
	}
}
