package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// Feeds is what the scrape asks a *guard.Refresher.
type Feeds interface {
	FeedStats() []guard.FeedStat
	Now() time.Time
}

// upstream is what the scrape asks a *guard.Transport.
type upstream interface {
	Usage(ctx context.Context, key string) (guard.Usage, bool)
	BreakerState(key string) guard.BreakerState
	Now() time.Time
}

// stateCollector computes the per-credential and refresher gauges when
// Prometheus scrapes, instead of updating gauges on every request.
type stateCollector struct {
	creds *credentials

	mu       sync.Mutex
	upstream upstream
	feeds    Feeds

	remaining, blocked, breaker, feedCount, feedRoles, snapshotAge, tracked *prometheus.Desc
}

func newStateCollector(o Options) *stateCollector {
	return &stateCollector{
		creds: &credentials{m: map[string]*credEntry{}, max: o.MaxCredentials, idle: o.CredentialIdle, now: o.Now},
		remaining: prometheus.NewDesc("dashboard_upstream_budget_remaining",
			"Requests the credential may still send to Cloudflare in the current 5-minute window: kind=read for reads, kind=write for cancels (which may use the headroom).",
			[]string{"credential", "kind"}, nil),
		blocked: prometheus.NewDesc("dashboard_upstream_blocked_seconds",
			"Seconds left of the credential's Retry-After block after a 429 (nothing is sent meanwhile, cancels included); 0 when none runs.",
			[]string{"credential"}, nil),
		breaker: prometheus.NewDesc("dashboard_upstream_breaker_state",
			"The credential's circuit breaker: 1 for its current state (closed, open, half-open), 0 for the others.",
			[]string{"credential", "state"}, nil),
		feedCount: prometheus.NewDesc("dashboard_refresher_feeds",
			"Refresher feeds running: one per credential and account that some tab watches.", nil, nil),
		feedRoles: prometheus.NewDesc("dashboard_refresher_feeds_by_role",
			"Refresher feeds by their place among the replicas: leader (reads Cloudflare and publishes), follower (loads the leader's snapshot), solo (reads Cloudflare itself: one process, or the shared database did not answer).",
			[]string{"role"}, nil),
		snapshotAge: prometheus.NewDesc("dashboard_refresher_snapshot_age_seconds",
			"Age of the data in the snapshot of the credential's account feed; it grows while reads fail.",
			[]string{"credential"}, nil),
		tracked: prometheus.NewDesc("dashboard_metrics_credentials",
			"Credentials labelled in the per-credential gauges now (used recently by a request).", nil, nil),
	}
}

func (s *stateCollector) setUpstream(u upstream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upstream = u
}

func (s *stateCollector) setFeeds(f Feeds) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.feeds = f
}

// Describe implements prometheus.Collector.
func (s *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{s.remaining, s.blocked, s.breaker, s.feedCount, s.feedRoles, s.snapshotAge, s.tracked} {
		ch <- d
	}
}

// breakerStates are every state, so each credential has a 1 and two 0s.
var breakerStates = []guard.BreakerState{guard.BreakerClosed, guard.BreakerOpen, guard.BreakerHalfOpen}

// Collect implements prometheus.Collector.
func (s *stateCollector) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	up, feeds := s.upstream, s.feeds
	s.mu.Unlock()
	creds := s.creds.list()
	ch <- prometheus.MustNewConstMetric(s.tracked, prometheus.GaugeValue, float64(len(creds)))
	if up != nil {
		now := up.Now()
		for _, c := range creds {
			if u, ok := up.Usage(context.Background(), c.key); ok {
				reads, writes := u.Remaining()
				ch <- prometheus.MustNewConstMetric(s.remaining, prometheus.GaugeValue, float64(reads), c.id, "read")
				ch <- prometheus.MustNewConstMetric(s.remaining, prometheus.GaugeValue, float64(writes), c.id, "write")
				ch <- prometheus.MustNewConstMetric(s.blocked, prometheus.GaugeValue, max(u.BlockedUntil.Sub(now).Seconds(), 0), c.id)
			}
			state := up.BreakerState(c.key)
			for _, st := range breakerStates {
				v := 0.0
				if st == state {
					v = 1
				}
				ch <- prometheus.MustNewConstMetric(s.breaker, prometheus.GaugeValue, v, c.id, st.String())
			}
		}
	}
	if feeds != nil {
		stats, now := feeds.FeedStats(), feeds.Now()
		ch <- prometheus.MustNewConstMetric(s.feedCount, prometheus.GaugeValue, float64(len(stats)))
		roles := map[string]int{"leader": 0, "follower": 0, "solo": 0}
		at := make(map[[2]string]time.Time, len(stats))
		for _, f := range stats {
			if _, ok := roles[f.Role]; ok {
				roles[f.Role]++
			}
			if !f.At.IsZero() {
				at[[2]string{f.Key, f.Account}] = f.At
			}
		}
		for role, n := range roles {
			ch <- prometheus.MustNewConstMetric(s.feedRoles, prometheus.GaugeValue, float64(n), role)
		}
		for _, c := range creds {
			if t, ok := at[[2]string{c.key, c.account}]; ok {
				ch <- prometheus.MustNewConstMetric(s.snapshotAge, prometheus.GaugeValue, max(now.Sub(t).Seconds(), 0), c.id)
			}
		}
	}
}

// credentials maps the store's credential IDs, the only credential label
// the metrics use, to the guard's Key and the account, for the credentials
// that requests used recently. It is bounded, and forgets idle entries.
type credentials struct {
	max  int
	idle time.Duration
	now  func() time.Time

	mu sync.Mutex
	m  map[string]*credEntry
}

type credEntry struct {
	account, key string
	seen         time.Time
}

// credRow is one credential as the scrape sees it.
type credRow struct{ id, account, key string }

// see records that a request used credential id.
func (c *credentials) see(id, account, key string) {
	if id == "" || key == "" {
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[id]; e != nil {
		e.account, e.key, e.seen = account, key, now
		return
	}
	if len(c.m) >= c.max {
		c.evict(now)
	}
	c.m[id] = &credEntry{account: account, key: key, seen: now}
}

// evict forgets idle entries and, when none is idle, the least recently
// used one. c.mu is held.
func (c *credentials) evict(now time.Time) {
	var oldest string
	for id, e := range c.m {
		if now.Sub(e.seen) >= c.idle {
			delete(c.m, id)
			continue
		}
		if oldest == "" || e.seen.Before(c.m[oldest].seen) {
			oldest = id
		}
	}
	if len(c.m) >= c.max && oldest != "" {
		delete(c.m, oldest)
	}
}

// list forgets idle entries and returns the others.
func (c *credentials) list() []credRow {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	rows := make([]credRow, 0, len(c.m))
	for id, e := range c.m {
		if now.Sub(e.seen) >= c.idle {
			delete(c.m, id)
			continue
		}
		rows = append(rows, credRow{id: id, account: e.account, key: e.key})
	}
	return rows
}
