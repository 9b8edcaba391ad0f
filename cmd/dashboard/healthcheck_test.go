package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestHealthcheck runs "dashboard healthcheck" against a real dashboard
// listening on all interfaces (reached on loopback), and against answers
// that must fail it: 503 while draining, nothing listening, a bad -path.
func TestHealthcheck(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan string, 1)
	env, _ := testEnv([]string{"serve", "-addr", "0.0.0.0:0"}, map[string]string{"DASHBOARD_DATA_DIR": t.TempDir(), "DASHBOARD_SHUTDOWN_DELAY": "0s"}, "")
	env.ready = func(addr string) { addrc <- addr }
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, env) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-errc:
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the dashboard did not start")
	}
	_, port, _ := net.SplitHostPort(addr)

	check := func(addr string, args ...string) (string, error) {
		env, out := testEnv(append([]string{"healthcheck"}, args...), map[string]string{"DASHBOARD_ADDR": addr}, "")
		err := run(context.Background(), env)
		return out.String(), err
	}
	if out, err := check("0.0.0.0:" + port); err != nil || !strings.Contains(out, "127.0.0.1:"+port+"/readyz: 200 ready") {
		t.Errorf("healthcheck of a serving dashboard = %q, %v, want 200 ready on loopback", out, err)
	}
	if out, err := check("127.0.0.1:"+port, "-path", "/healthz"); err != nil || !strings.Contains(out, "200 ok") {
		t.Errorf("healthcheck -path /healthz = %q, %v", out, err)
	}

	draining := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "draining: shutting down, in-flight requests are finishing", http.StatusServiceUnavailable)
	}))
	defer draining.Close()
	if _, err := check(strings.TrimPrefix(draining.URL, "http://")); err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "503 draining") {
		t.Errorf("healthcheck of a draining dashboard = %v (exit %d), want exit 1 naming 503", err, exitCode(err))
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	if _, err := check(closed); err == nil {
		t.Error("healthcheck with nothing listening succeeded")
	}
	if _, err := check("127.0.0.1:"+port, "-path", "/metrics"); err == nil || !strings.Contains(err.Error(), "-path") {
		t.Errorf("healthcheck -path /metrics = %v, want a refusal", err)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("serve after shutdown: %v", err)
	}
}
