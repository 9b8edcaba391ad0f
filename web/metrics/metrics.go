// Package metrics is the dashboard's Prometheus instrumentation: HTTP
// requests by route pattern and status, upstream attempts by endpoint and
// outcome (told by the guard's Transport, retries included), the guard's
// cache, cancel outcomes, and gauges computed at scrape time: budget
// remaining, Retry-After blocks and breaker state per credential, refresher
// feeds and snapshot age. Everything is recorded in one registry that main
// builds and serves on its own listener (DASHBOARD_METRICS_ADDR), never on
// the dashboard's.
//
// No label value is ever a token, a hash of one, an email, a raw path or a
// job ID: routes are Echo's patterns, credentials are the store's IDs.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// Metrics records the dashboard's metrics. It implements guard.Observer and
// handlers.Recorder; its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests     *prometheus.CounterVec
	httpDuration     *prometheus.HistogramVec
	httpUnchanged    *prometheus.CounterVec
	upstreamAttempts *prometheus.CounterVec
	upstreamDuration *prometheus.HistogramVec
	guardReads       *prometheus.CounterVec
	cancels          *prometheus.CounterVec

	routes     *routeSet
	httpSeries sync.Map // seriesKey → *httpSeries
	state      *stateCollector
}

// Options tune New; zero values take the defaults.
type Options struct {
	// Now is the clock of credential idleness; default time.Now.
	Now func() time.Time
	// MaxCredentials bounds how many credentials are labelled at once;
	// default 1000. Past it, credentials idle the longest are forgotten.
	MaxCredentials int
	// CredentialIdle is how long a credential no request used keeps its
	// series; default 10 minutes (two of Cloudflare's windows).
	CredentialIdle time.Duration
}

// httpBuckets suit a dashboard whose cached polls take well under a
// millisecond and whose uncached pages wait for Cloudflare.
var httpBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// upstreamBuckets suit Cloudflare's answers.
var upstreamBuckets = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New builds the metrics and registers them, with the Go runtime's and the
// process's collectors, in reg.
func New(reg *prometheus.Registry, o Options) (*Metrics, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxCredentials <= 0 {
		o.MaxCredentials = 1000
	}
	if o.CredentialIdle <= 0 {
		o.CredentialIdle = 10 * time.Minute
	}
	m := &Metrics{
		reg: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dashboard_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dashboard_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: httpBuckets,
		}, []string{"route", "method"}),
		httpUnchanged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dashboard_http_unchanged_total",
			Help: "Polls answered 204 No Content or 304 Not Modified (nothing changed since the tab's last answer), by route pattern.",
		}, []string{"route"}),
		upstreamAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dashboard_upstream_requests_total",
			Help: "Requests to Cloudflare given to the guard's transport, every attempt and retry, by endpoint and outcome (held_* were never sent).",
		}, []string{"endpoint", "outcome"}),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dashboard_upstream_request_duration_seconds",
			Help:    "Time from sending a request to Cloudflare to its answer's headers, by endpoint; held requests are not observed.",
			Buckets: upstreamBuckets,
		}, []string{"endpoint"}),
		guardReads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dashboard_guard_reads_total",
			Help: "Reads through the guard, by result: hit (answered from the cache), miss (a call), stale (the call failed, the last good answer served), error.",
		}, []string{"result"}),
		cancels: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dashboard_cancels_total",
			Help: "Cancel requests by the outcome their audit row records (ok, already_finished, not_confirmed, joined, unknown, error, …).",
		}, []string{"outcome"}),
		routes: &routeSet{},
		state:  newStateCollector(o),
	}
	for _, c := range []prometheus.Collector{
		m.httpRequests, m.httpDuration, m.httpUnchanged, m.upstreamAttempts, m.upstreamDuration, m.guardReads, m.cancels,
		m.state, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Attempt implements guard.Observer.
func (m *Metrics) Attempt(a guard.Attempt) {
	m.upstreamAttempts.WithLabelValues(a.Endpoint, a.Outcome).Inc()
	if a.Duration > 0 {
		m.upstreamDuration.WithLabelValues(a.Endpoint).Observe(a.Duration.Seconds())
	}
}

// Read implements guard.Observer.
func (m *Metrics) Read(r guard.ReadResult) { m.guardReads.WithLabelValues(string(r)).Inc() }

// cancelOutcomes are the outcomes the handlers record; any other is
// counted as "other", so the label stays bounded whatever a row holds.
var cancelOutcomes = map[string]bool{
	"ok": true, "already_cancelled": true, "already_finished": true, "not_confirmed": true, "unknown": true,
	"pending": true, "error": true, "unauthorized": true, "forbidden": true, "not_found": true,
	"rate_limited": true, "joined": true, "denied": true,
}

// CancelOutcome implements handlers.Recorder.
func (m *Metrics) CancelOutcome(outcome string) {
	if !cancelOutcomes[outcome] {
		outcome = "other"
	}
	m.cancels.WithLabelValues(outcome).Inc()
}

// CredentialUsed implements handlers.Recorder: the credential's gauges are
// labelled by id from now until it is idle.
func (m *Metrics) CredentialUsed(id, accountID, key string) { m.state.creds.see(id, accountID, key) }

// Upstream lets the scrape read the budget and breaker of t.
func (m *Metrics) Upstream(t *guard.Transport) { m.state.setUpstream(t) }

// Refresher lets the scrape count r's feeds and their snapshots' age.
func (m *Metrics) Refresher(r Feeds) { m.state.setFeeds(r) }
