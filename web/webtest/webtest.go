// Package webtest starts the real dashboard for tests: the real Echo app, the
// real SQLite store in a temporary folder (or a fresh PostgreSQL database,
// Options.Postgres) and the Cloudflare simulator on a fake clock, each on a
// loopback httptest server.
package webtest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/handlers"
	"github.com/respond/bulkjobs/handlers/loginlimit"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/store/storetest"
	"github.com/respond/bulkjobs/web"
	"github.com/respond/bulkjobs/web/metrics"
)

// Test analysts, created by New. Each has the simulator token of matching
// permission stored for both demo accounts (the viewer's is read-only).
const (
	Responder = "responder@test.example"
	Viewer    = "viewer@test.example"
	Admin     = "admin@test.example"
	Nobody    = "nobody@test.example" // exists, but holds no credential
	Password  = "correct horse battery staple"
)

// Account is the first demo account: it has jobs in every state.
const Account = cfsim.DemoAccountID

// App is a running dashboard with its simulator.
type App struct {
	URL     string
	Sim     *cfsim.Server
	SimURL  string
	Clock   *cfsim.FakeClock
	Store   store.Store // the database itself (*store.SQLite, or *store.Postgres); the handler reads it through a store.Cache
	Handler *handlers.Handler
	Users   map[string]store.User
	Logs    *LogBuffer
	Client  *apiclient.Client
	DBPath  string     // the SQLite file; "" on PostgreSQL
	Echo    *echo.Echo // routes may be added by tests

	// Transport is under Client: it counts what Client sends and holds the
	// budget, the Retry-After blocks and the breaker.
	Transport *guard.Transport
	// Metrics records what the app does, as in production; Scrape reads it.
	Metrics *metrics.Metrics
	// Live is the Handler's refresher, on the fake clock: a poll whose
	// snapshot is an interval old reads it; StepFeeds runs the feeds' own
	// timers.
	Live  *guard.Refresher
	steps *feedSteps

	tlsClient *http.Client
	opts      Options
	public    *url.URL
}

// SessionKey is the session key pair of every test app.
var SessionKey = handlers.KeyPair{Hash: make32(1), Block: make32(2)}

// Options tune New.
type Options struct {
	Shape      cfsim.Shape       // simulator job shape (default the newer 16 fields)
	RateLimit  int               // simulator requests per 5 minutes per token; 0 = Cloudflare's 1200, -1 = off
	Principals []cfsim.Principal // extra simulator tokens
	Upstream   http.Handler      // answers in place of the simulator (hostile-upstream tests)
	TLS        bool              // serve the dashboard over https (Secure cookies, HSTS)
	Budget     guard.Budget      // the Transport's budget; nil: a MemoryBudget
	// Postgres runs the app on a fresh PostgreSQL database
	// (storetest.PostgresURL) instead of SQLite: the test is skipped without
	// STORE_POSTGRES_URL, and fails without it when STORE_REQUIRE_POSTGRES=1.
	Postgres bool
}

// New starts an App; everything stops when the test ends.
func New(t testing.TB, opts Options) *App {
	t.Helper()
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	clock := cfsim.NewFakeClock(start)
	simCfg := cfsim.DemoConfig(start)
	simCfg.Clock = clock
	simCfg.Shape = opts.Shape
	simCfg.RateLimit = opts.RateLimit
	simCfg.Principals = append(simCfg.Principals, opts.Principals...)
	sim, err := cfsim.New(simCfg)
	if err != nil {
		t.Fatalf("cfsim.New: %v", err)
	}
	var upstream http.Handler = sim
	if opts.Upstream != nil {
		upstream = opts.Upstream
	}
	simSrv := httptest.NewServer(upstream)
	t.Cleanup(simSrv.Close)

	dir := t.TempDir()
	ring, err := store.NewKeyring(make32(7))
	if err != nil {
		t.Fatal(err)
	}
	var st store.Store
	dbPath := ""
	if opts.Postgres {
		// The database is dropped after the store is closed: cleanups run
		// last first.
		st, err = store.OpenPostgres(context.Background(), storetest.PostgresURL(t), ring)
	} else {
		dbPath = filepath.Join(dir, "test.db")
		st, err = store.OpenSQLite(context.Background(), dbPath, ring)
	}
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })

	logs := &LogBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := metrics.New(prometheus.NewRegistry(), metrics.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	gopts := guardOptions(opts, clock)
	gopts.Observer = m
	transport, err := guard.NewTransport(http.DefaultTransport, gopts)
	if err != nil {
		t.Fatal(err)
	}
	m.Upstream(transport)
	client, err := apiclient.New(apiclient.WithBaseURL(simSrv.URL+"/client/v4"), apiclient.WithRetries(2, time.Millisecond),
		apiclient.WithHTTPClient(&http.Client{Transport: transport, Timeout: apiclient.DefaultTimeout}))
	if err != nil {
		t.Fatal(err)
	}
	a := &App{Sim: sim, SimURL: simSrv.URL, Clock: clock, Store: st, Logs: logs, Client: client, Transport: transport,
		Metrics: m, Users: map[string]store.User{}, DBPath: dbPath}
	srv := httptest.NewUnstartedServer(nil)
	if opts.TLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	a.tlsClient = srv.Client()
	a.URL = srv.URL
	public, _ := url.Parse(srv.URL)
	a.opts, a.public = opts, public
	sm, err := handlers.NewSessionManager([]handlers.KeyPair{SessionKey}, opts.TLS, 30*time.Minute, 12*time.Hour, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	api, err := guard.New(client, gopts)
	if err != nil {
		t.Fatal(err)
	}
	a.steps = newFeedSteps()
	a.Live = newRefresher(t, api, clock.Now, a.steps)
	a.Handler = &handlers.Handler{
		Store: store.NewCache(st, store.CacheOptions{Now: clock.Now}), API: api, Live: a.Live, Sessions: sm, Log: log, PublicURL: public,
		Logins:          loginlimit.New(loginlimit.Options{Now: clock.Now}),
		UpstreamTimeout: 5 * time.Second, Now: clock.Now, Metrics: m,
	}
	cfg := web.Config{PublicURL: public}
	a.Echo = web.New(cfg, a.Handler, log, web.WithMetrics(m))
	srv.Config.Handler = a.Echo

	hasher, err := store.NewHasher(store.TestParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		email string
		role  store.Role
		token string
	}{
		{Responder, store.RoleResponder, cfsim.DemoWriteToken},
		{Viewer, store.RoleViewer, cfsim.DemoReadToken},
		{Admin, store.RoleAdmin, cfsim.DemoWriteToken},
		{Nobody, store.RoleResponder, ""},
	} {
		hash, err := hasher.Hash(Password)
		if err != nil {
			t.Fatal(err)
		}
		user, err := st.CreateUser(context.Background(), u.email, u.role, hash)
		if err != nil {
			t.Fatal(err)
		}
		a.Users[u.email] = user
		if u.token == "" {
			continue
		}
		for _, acct := range []string{cfsim.DemoAccountID, cfsim.DemoSecondAccountID} {
			if _, err := st.AddCredential(context.Background(), store.NewCredential{
				UserID: user.ID, Label: "Simulator " + acct[:6], AccountID: acct,
				Kind: store.CredentialAPIToken, Secret: store.Secret{Token: u.token},
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return a
}

// guardOptions runs the upstream guard and its Transport on the fake clock,
// with Cloudflare's limit, or none when the simulator's limit is off.
func guardOptions(opts Options, clock *cfsim.FakeClock) guard.Options {
	o := guard.Options{Now: clock.Now, Budget: opts.Budget}
	if opts.RateLimit < 0 {
		o.Limit, o.Headroom = 1<<30, 200
	}
	return o
}

// Replica starts a second dashboard on the same database, simulator, clock
// and session keys, with its own process state (guard, limiter, cancels,
// store cache), as a second replica behind a load balancer would have.
// Browsers logged in on a are logged in on the replica too: the cookie jar
// ignores ports.
func (a *App) Replica(t testing.TB) *App {
	t.Helper()
	r := *a
	r.Metrics = nil // a replica's own metrics are not recorded; its upstream attempts go to a's (one Transport)
	srv := httptest.NewUnstartedServer(nil)
	if a.opts.TLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	sm, err := handlers.NewSessionManager([]handlers.KeyPair{SessionKey}, a.opts.TLS, 30*time.Minute, 12*time.Hour, a.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	g, err := guard.New(a.Client, guardOptions(a.opts, a.Clock))
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler
	r.steps = newFeedSteps()
	r.Live = newRefresher(t, g, a.Clock.Now, r.steps)
	r.Handler = &handlers.Handler{
		Store: store.NewCache(a.Store, store.CacheOptions{Now: a.Clock.Now}), API: g, Live: r.Live, Sessions: sm, Log: h.Log, PublicURL: a.public,
		Logins:          loginlimit.New(loginlimit.Options{Now: a.Clock.Now}),
		UpstreamTimeout: h.UpstreamTimeout, Now: a.Clock.Now,
	}
	r.Echo = web.New(web.Config{PublicURL: a.public}, r.Handler, r.Handler.Log)
	srv.Config.Handler = r.Echo
	return &r
}

// make32 returns a deterministic 32-byte test key.
func make32(b byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}
