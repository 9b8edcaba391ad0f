package web

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func TestForwardedWatchIsBoundedAndRateLimited(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	w := newForwardedWatch([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		slog.New(slog.NewTextHandler(&logs, nil)), func() time.Time { return now })
	e := echo.New()
	e.Use(w.middleware)
	e.GET("/", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	get := func(peer, header string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = peer
		if header != "" {
			req.Header.Set(header, "192.0.2.1")
		}
		e.ServeHTTP(httptest.NewRecorder(), req)
	}
	lines := func() int { return strings.Count(logs.String(), "not a trusted proxy") }

	get("10.1.2.3:5555", echo.HeaderXForwardedFor) // a trusted proxy
	get("198.51.100.1:5555", "")                   // no header
	if n := len(w.warnings()); n != 0 || lines() != 0 {
		t.Fatalf("trusted or plain requests reported: %d warnings, %d log lines", n, lines())
	}

	// A spray of peers: memory and log lines stay bounded.
	for i := range 1000 {
		get(fmt.Sprintf("[2001:db8::%x]:443", i+1), echo.HeaderXRealIP)
	}
	if n := len(w.peers); n != maxWatchedPeers {
		t.Errorf("%d peers remembered, want the bound of %d", n, maxWatchedPeers)
	}
	if got := w.warnings(); len(got) != maxWatchedPeers+1 || !strings.Contains(got[0], "2001:db8::1 carry X-Real-IP") ||
		!strings.Contains(got[maxWatchedPeers], "968 more requests") {
		t.Errorf("warnings = %d lines, first %q, last %q", len(got), got[0], got[len(got)-1])
	}
	if n := lines(); n != forwardedLogsPerMin {
		t.Errorf("%d log lines in the first minute, want %d", n, forwardedLogsPerMin)
	}
	// A minute later the peers held back are logged, once each, as they
	// come again.
	now = now.Add(time.Minute)
	for i := range 3 {
		get(fmt.Sprintf("[2001:db8::%x]:443", i+1), echo.HeaderXRealIP) // logged already
		get(fmt.Sprintf("[2001:db8::%x]:443", i+6), echo.HeaderXRealIP) // held back
	}
	if n := lines(); n != forwardedLogsPerMin+3 {
		t.Errorf("%d log lines after a minute, want %d", n, forwardedLogsPerMin+3)
	}
}
