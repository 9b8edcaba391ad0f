package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/handlers"
	"github.com/respond/bulkjobs/handlers/loginlimit"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web"
	"github.com/respond/bulkjobs/web/metrics"
)

// serve runs the dashboard until ctx ends.
func serve(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	getenv := configFlags(fs, env.getenv)
	demo := fs.Bool("demo", false, "run against an in-process Cloudflare simulator with demo data and demo analysts")
	force := fs.Bool("force", false, "with -demo: allow a non-loopback listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var d *demoEnv
	if *demo {
		var err error
		if d, err = startDemo(getenv, *force); err != nil {
			return err
		}
		defer d.close()
		getenv = d.getenv
	}
	cfg, err := web.LoadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogFormat, env.stderr)

	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if d != nil {
		if err := d.seed(ctx, st); err != nil {
			return err
		}
	}
	m, err := metrics.New(prometheus.NewRegistry(), metrics.Options{})
	if err != nil {
		return err
	}
	h, live, err := newHandler(cfg, st, log, m)
	if err != nil {
		return err
	}
	defer live.Close() // after drain: the last request has been answered
	m.Refresher(live)
	e := web.New(cfg, h, log, web.WithMetrics(m))
	msrv, err := startMetrics(cfg.MetricsAddr, m, env, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := newHTTPServer(e, log)
	url := "http://" + ln.Addr().String()
	if d != nil {
		d.banner(env.stdout, url)
	} else {
		fmt.Fprintf(env.stdout, "dashboard listening on %s (public URL %s)\n", url, cfg.PublicURL)
	}
	log.Info("listening", "addr", ln.Addr().String(), "api_base_url", cfg.APIBaseURL)
	if env.ready != nil {
		env.ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go reconcileCancels(ctx, h, log)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	delay := cfg.ShutdownDelay
	if d != nil {
		delay = 0 // nothing balances a demo
	}
	err = drain(srv, h, log, delay, cfg.ShutdownTimeout)
	stopMetrics(msrv) // last: the drain is worth watching
	return err
}

// drain stops the server for a deploy: /readyz answers 503 at once, so a
// load balancer stops sending; after delay the server stops accepting, and
// requests in flight (a cancel above all) get grace to finish and record
// their outcome.
func drain(srv *http.Server, h *handlers.Handler, log *slog.Logger, delay, grace time.Duration) error {
	h.Drain()
	log.Info("shutting down: /readyz answers 503", "delay", delay.String(), "grace", grace.String())
	time.Sleep(delay)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown after %s: %w", grace, err)
	}
	return nil
}

// reconcileInterval is how often pending cancel rows are checked.
const reconcileInterval = time.Minute

// reconcileCancels settles cancel rows that a stopped process left pending,
// now and every reconcileInterval, until ctx ends.
func reconcileCancels(ctx context.Context, h *handlers.Handler, log *slog.Logger) {
	t := time.NewTicker(reconcileInterval)
	defer t.Stop()
	for {
		n, err := h.ReconcileCancels(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("reconcile pending cancels", "err", err.Error())
		case n > 0:
			log.Warn("reconciled cancels left pending by a stopped process", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// newHTTPServer sets every timeout: a client that trickles its headers or body
// is cut off, and an idle keep-alive connection is closed. Echo's deprecated
// timeout middleware is not used.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// newHandler builds the handlers' dependencies from the configuration.
func newHandler(cfg web.Config, st store.Store, log *slog.Logger, m *metrics.Metrics) (*handlers.Handler, *guard.Refresher, error) {
	// Every request to Cloudflare, retries included, is counted where it
	// leaves the process: the Transport under the client.
	// On PostgreSQL the budget and the login limits are the fleet's.
	upstream, logins, err := sharedLimits(st, guard.Options{Limit: cfg.UpstreamBudget, Observer: m},
		loginlimit.Options{Window: 15 * time.Minute, PerAccount: 5, PerAddr: 50, PerDevice: 5}, log)
	if err != nil {
		return nil, nil, errWithVar("DASHBOARD_UPSTREAM_BUDGET", err)
	}
	transport, err := guard.NewTransport(http.DefaultTransport, upstream)
	if err != nil {
		return nil, nil, errWithVar("DASHBOARD_UPSTREAM_BUDGET", err)
	}
	m.Upstream(transport)
	client, err := apiclient.New(apiclient.WithBaseURL(cfg.APIBaseURL),
		apiclient.WithHTTPClient(&http.Client{Transport: transport, Timeout: apiclient.DefaultTimeout}))
	if err != nil {
		return nil, nil, errWithVar("DASHBOARD_API_BASE_URL", err)
	}
	keyText, created, err := web.KeyFile(cfg.SessionKeys, cfg.DataDir, "session.keys", web.GenerateSessionKey)
	if err != nil {
		return nil, nil, err
	}
	if created {
		// Every replica behind a load balancer needs the same key: set
		// DASHBOARD_SESSION_KEYS, or sessions break between replicas.
		log.Warn("generated a new session key; replicas must share one through DASHBOARD_SESSION_KEYS", "dir", cfg.DataDir)
	}
	keys, err := web.ParseSessionKeys(keyText)
	if err != nil {
		return nil, nil, errWithVar("DASHBOARD_SESSION_KEYS", err)
	}
	sm, err := handlers.NewSessionManager(keys, cfg.Secure(), cfg.SessionIdle, cfg.SessionMax, time.Now)
	if err != nil {
		return nil, nil, err
	}
	api, err := guard.New(client, upstream)
	if err != nil {
		return nil, nil, errWithVar("DASHBOARD_UPSTREAM_BUDGET", err)
	}
	// One read per interval per credential and account answers every tab,
	// and on PostgreSQL every replica's: one replica leads each feed and
	// reads Cloudflare, the others load the snapshot it publishes.
	ro := guard.RefresherOptions{Interval: cfg.RefreshInterval, Timeout: cfg.UpstreamTimeout, Log: log}
	if pg, ok := st.(*store.Postgres); ok {
		ro.Fleet = store.NewPostgresFeeds(pg)
	}
	live := guard.NewRefresher(api, ro)
	return &handlers.Handler{
		Store:           store.NewCache(st, store.CacheOptions{}), // see store.Cache for how changes reach it
		API:             api,
		Live:            live,
		Sessions:        sm,
		Logins:          logins,
		Log:             log,
		PublicURL:       cfg.PublicURL,
		UpstreamTimeout: cfg.UpstreamTimeout,
		Metrics:         m,
	}, live, nil
}
