package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/respond/bulkjobs/web/metrics"
)

// startMetrics serves GET /metrics on addr (DASHBOARD_METRICS_ADDR) with a
// server of its own, never on the dashboard's listener, so the metrics are
// not public by accident: they have no authentication. An empty addr (the
// default) serves nothing and returns nil.
func startMetrics(addr string, m *metrics.Metrics, env environment, log *slog.Logger) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("DASHBOARD_METRICS_ADDR: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	bound := ln.Addr().String()
	log.Info("metrics listening", "addr", bound, "path", "/metrics")
	if ip, ok := ln.Addr().(*net.TCPAddr); ok && !ip.IP.IsLoopback() {
		log.Warn("the metrics listener is not on loopback: keep it on a private interface that only the scraper reaches; it has no authentication",
			"addr", bound)
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err.Error())
		}
	}()
	if env.metricsReady != nil {
		env.metricsReady(bound)
	}
	return srv, nil
}

// stopMetrics stops the metrics server, if there is one.
func stopMetrics(srv *http.Server) {
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}
