package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/handlers/loginlimit"
	"github.com/respond/bulkjobs/handlers/loginlimit/limittest"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/store/storetest"
	"github.com/respond/bulkjobs/web"
	"github.com/respond/bulkjobs/web/metrics"
)

// replicaStores opens n stores, each with its own pool, on one new
// database: n replicas.
func replicaStores(t *testing.T, n int) []*store.Postgres {
	t.Helper()
	url, keys := storetest.PostgresURL(t), storetest.Keyring(t, storetest.NewKey(t))
	var out []*store.Postgres
	for range n {
		st, err := store.OpenPostgres(context.Background(), url, keys)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out = append(out, st)
	}
	return out
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// The fleet budget decides as guard.MemoryBudget does, step for step, over
// a random run of takes, peeks and blocks on a fake clock, spread over two
// replicas: the same holds, for the same reasons, until the same times.
func TestSharedBudgetDecidesAsMemoryBudget(t *testing.T) {
	t.Parallel()
	sts := replicaStores(t, 2)
	o := guard.Options{Limit: 12, Headroom: 3, Window: time.Minute}
	mem, err := guard.NewMemoryBudget(12, 3, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var replicas []*sharedBudget
	for _, st := range sts {
		b, err := newSharedBudget(st, o, quiet)
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, b)
	}
	ctx, rng := context.Background(), rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	held := 0
	for i := range 600 {
		now = now.Add(time.Duration(rng.IntN(4000)) * time.Millisecond)
		key, write, b := []string{"k1", "k2"}[rng.IntN(2)], rng.IntN(4) == 0, replicas[rng.IntN(2)]
		var want, got *guard.Hold
		var gerr error
		switch op := rng.IntN(20); {
		case op == 0:
			until := now.Add(time.Duration(rng.IntN(90)) * time.Second)
			_ = mem.Block(ctx, key, until)
			if err := b.Block(ctx, key, until); err != nil {
				t.Fatal(err)
			}
			continue
		case op < 4:
			want, _ = mem.Peek(ctx, key, write, now)
			got, gerr = b.Peek(ctx, key, write, now)
		default:
			want, _ = mem.Take(ctx, key, write, now)
			got, gerr = b.Take(ctx, key, write, now)
		}
		if gerr != nil {
			t.Fatalf("step %d: %v", i, gerr)
		}
		if (want == nil) != (got == nil) || want != nil && (want.Reason != got.Reason || !want.Until.Equal(got.Until)) {
			t.Fatalf("step %d (%s, write=%v, at %s): fleet budget = %v, MemoryBudget = %v", i, key, write, now.Format(time.TimeOnly), got, want)
		}
		if want != nil {
			held++
		}
	}
	if held < 50 {
		t.Errorf("only %d of the steps were held; the run does not exercise the limits", held)
	}
	// A block that ended may be swept from the table; the metrics show 0
	// for it either way.
	running := func(u guard.Usage) guard.Usage {
		if !u.BlockedUntil.After(now) {
			u.BlockedUntil = time.Time{}
		}
		return u
	}
	for _, key := range []string{"k1", "k2"} {
		mu, _ := mem.Usage(ctx, key, now)
		fu, err := replicas[0].Usage(ctx, key, now)
		if err != nil || running(mu) != running(fu) {
			t.Errorf("Usage(%s) = %+v, %v; MemoryBudget says %+v", key, fu, err, mu)
		}
	}
}

// While PostgreSQL does not answer, a read is held with the error (the
// Transport then sends nothing) and a cancel is decided by this process:
// sent, unless a block this process recorded still runs.
func TestSharedBudgetDuringAnOutage(t *testing.T) {
	t.Parallel()
	st := replicaStores(t, 1)[0]
	b, err := newSharedBudget(st, guard.Options{Limit: 60}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx, now := context.Background(), time.Now()
	if err := b.Block(ctx, "blocked", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	st.Close() // the database goes away
	if h, err := b.Take(ctx, "k", false, now); err == nil {
		t.Errorf("read during the outage = %v, nil; want an error", h)
	}
	if h, err := b.Peek(ctx, "k", false, now); err == nil {
		t.Errorf("Peek(read) during the outage = %v, nil; want an error", h)
	}
	if h, err := b.Take(ctx, "k", true, now); err != nil || h != nil {
		t.Errorf("cancel during the outage = %v, %v; want it sent", h, err)
	}
	if h, err := b.Take(ctx, "blocked", true, now); err != nil || h == nil || !errors.Is(h.Reason, guard.ErrBlocked) {
		t.Errorf("cancel during the outage and a known block = %v, %v; want held for the block", h, err)
	}
	for range 2 { // the metrics get no number rather than a wrong one
		if u, err := b.Usage(ctx, "k", now); err == nil {
			t.Errorf("Usage() during the outage = %+v, nil; want an error", u)
		}
	}
}

// countingUpstream is the simulator behind a counter of requests by method.
func countingUpstream(t *testing.T) (string, *atomic.Int64, *atomic.Int64) {
	t.Helper()
	sim, err := cfsim.New(cfsim.DemoConfig(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var gets, posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			gets.Add(1)
		} else {
			posts.Add(1)
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/client/v4", &gets, &posts
}

// Two dashboards on one PostgreSQL, built as serve builds them, spend one
// budget per credential: 2×30 reads against a budget of 60 (50 for reads)
// send exactly 50, and a cancel still goes, from either.
func TestTwoDashboardsShareOneBudget(t *testing.T) {
	t.Parallel()
	base, gets, posts := countingUpstream(t)
	vars := map[string]string{"DASHBOARD_API_BASE_URL": base, "DASHBOARD_UPSTREAM_BUDGET": "60", "DASHBOARD_REFRESH_INTERVAL": "15s",
		"DASHBOARD_DATA_DIR": t.TempDir(), "DASHBOARD_SESSION_KEYS": ""}
	cfg, err := web.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	var ms []*metrics.Metrics
	var apis []interface {
		GetJob(context.Context, apiclient.Credential, string, string) (*apiclient.Job, error)
		CancelJob(context.Context, apiclient.Credential, string, string) (*apiclient.Job, error)
	}
	for _, st := range replicaStores(t, 2) {
		m, err := metrics.New(prometheus.NewRegistry(), metrics.Options{})
		if err != nil {
			t.Fatal(err)
		}
		h, live, err := newHandler(cfg, st, quiet, m)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(live.Close)
		if _, ok := h.Logins.(*loginlimit.Shared); !ok {
			t.Errorf("the login limiter on PostgreSQL is %T, want *loginlimit.Shared", h.Logins)
		}
		apis = append(apis, h.API)
		ms = append(ms, m)
	}
	cred := apiclient.Credential{APIToken: cfsim.DemoWriteToken}
	const job = "52fb7adc-02ed-4225-a484-c02787b1eed3"
	// Alternately, uncached: the Guard would join identical reads in
	// flight (the store's tests take at once from two pools).
	ctx := guard.Uncached(context.Background())
	held := 0
	for range 30 {
		for _, api := range apis {
			if _, err := api.GetJob(ctx, cred, cfsim.DemoAccountID, job); errors.Is(err, guard.ErrReadBudget) {
				held++
			} else if err != nil {
				t.Fatalf("read: %v", err)
			}
		}
	}
	if gets.Load() != 50 || held != 10 {
		t.Errorf("reads sent = %d, held = %d; want 50 of the fleet's 60 (the rest kept for cancels) and 10", gets.Load(), held)
	}
	if _, err := apis[1].CancelJob(context.Background(), cred, cfsim.DemoAccountID, job); err != nil || posts.Load() != 1 {
		t.Errorf("cancel after the reads: %v, %d POSTs; want it sent once", err, posts.Load())
	}
	// Each replica's metrics show the fleet's budget: 51 of 60 spent.
	for i, m := range ms {
		m.CredentialUsed("cred-1", cfsim.DemoAccountID, guard.Key(cred))
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		for _, line := range []string{`dashboard_upstream_budget_remaining{credential="cred-1",kind="read"} 0`,
			`dashboard_upstream_budget_remaining{credential="cred-1",kind="write"} 9`} {
			if !strings.Contains(rec.Body.String(), line) {
				t.Errorf("replica %d's metrics lack %s", i+1, line)
			}
		}
	}
}

// The shared limiter on PostgreSQL passes the limiter suite and the
// replica tests, each replica with its own pool on one database.
func TestSharedLoginLimitsOnPostgres(t *testing.T) {
	t.Parallel()
	storetest.RequirePostgres(t)
	opener := func(t *testing.T) limittest.Opener {
		url, keys := storetest.PostgresURL(t), storetest.Keyring(t, storetest.NewKey(t))
		return func(o loginlimit.Options) loginlimit.Limiter {
			st, err := store.OpenPostgres(context.Background(), url, keys)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return loginlimit.NewShared(st, o)
		}
	}
	limittest.Run(t, opener)
	limittest.RunReplicas(t, opener)
}
