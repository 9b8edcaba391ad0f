package guard_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// bare is a Transport in front of a server that answers each request with
// the status in its X-Test-Status header (200 without one) and counts the
// requests per token.
type bare struct {
	tr    *guard.Transport
	url   string
	clock *cfsim.FakeClock
	gate  chan struct{} // a request with X-Test-Wait waits for it to close
	in    chan struct{} // … after saying it arrived
	sent  sync.Map      // token → *atomic.Int32
}

func newBare(t *testing.T, o guard.Options) *bare {
	t.Helper()
	b := &bare{clock: cfsim.NewFakeClock(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)), gate: make(chan struct{}), in: make(chan struct{}, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := b.sent.LoadOrStore(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		if r.Header.Get("X-Test-Wait") != "" {
			b.in <- struct{}{}
			<-b.gate
		}
		code, _ := strconv.Atoi(r.Header.Get("X-Test-Status"))
		if ra := r.Header.Get("X-Test-Retry-After"); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		w.WriteHeader(max(code, 200))
	}))
	t.Cleanup(srv.Close)
	o.Now = b.clock.Now
	var err error
	if b.tr, err = guard.NewTransport(nil, o); err != nil {
		t.Fatal(err)
	}
	b.url = srv.URL
	return b
}

// send makes one request of cred through the Transport; headers are the
// test server's instructions, as name, value pairs.
func (b *bare) send(ctx context.Context, method string, cred apiclient.Credential, headers ...string) error {
	req, _ := http.NewRequestWithContext(ctx, method, b.url, nil)
	req.Header.Set("Authorization", "Bearer "+cred.APIToken)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := b.tr.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// fail sends n reads answered 503.
func (b *bare) fail(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if err := b.send(context.Background(), http.MethodGet, simA, "X-Test-Status", "503"); err != nil {
			t.Fatalf("failure %d was not sent: %v", i+1, err)
		}
	}
}

func (b *bare) count(cred apiclient.Credential) int {
	n, ok := b.sent.Load(cred.APIToken)
	if !ok {
		return 0
	}
	return int(n.(*atomic.Int32).Load())
}

func (b *bare) state() guard.BreakerState { return b.tr.BreakerState(guard.Key(simA)) }

func TestBreakerOpensAfterFailuresInARow(t *testing.T) {
	t.Parallel()
	b := newBare(t, guard.Options{})
	b.fail(t, 4)
	if b.state() != guard.BreakerClosed {
		t.Fatalf("after 4 failures: %s, want closed", b.state())
	}
	b.fail(t, 1)
	if b.state() != guard.BreakerOpen {
		t.Fatalf("after 5 failures: %s, want open", b.state())
	}
	err := b.send(context.Background(), http.MethodGet, simA)
	var held *apiclient.HeldError
	if !errors.As(err, &held) || held.Class != apiclient.ErrUnavailable || !errors.Is(err, guard.ErrBreakerOpen) || held.RetryAfter != 30*time.Second {
		t.Errorf("read with the breaker open: %v, want held for the 30 s cool-down", err)
	}
	if n := b.count(simA); n != 5 {
		t.Errorf("requests = %d, want the 5 failures", n)
	}
	if err := b.send(context.Background(), http.MethodGet, simB); err != nil {
		t.Errorf("another credential: %v", err)
	}
}

// 401, 403, 429 and other answers below 500 prove that Cloudflare answers:
// they end a run of failures.
func TestBreakerIgnoresAnswersBelow500(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"401", "403", "429", "404", "400"} {
		b := newBare(t, guard.Options{})
		b.fail(t, 4)
		if err := b.send(context.Background(), http.MethodGet, simA, "X-Test-Status", code, "X-Test-Retry-After", "1"); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(time.Second) // past a 429's block
		b.fail(t, 4)
		if b.state() != guard.BreakerClosed {
			t.Errorf("4 failures, a %s, 4 failures: %s, want closed", code, b.state())
		}
		b.fail(t, 1)
		if b.state() != guard.BreakerOpen {
			t.Errorf("after the %s, 5 failures: %s, want open", code, b.state())
		}
	}
}

// After the cool-down exactly one read goes, as a probe; concurrent reads
// are held until it answers, and its success closes the breaker.
func TestBreakerLetsOneProbeThrough(t *testing.T) {
	t.Parallel()
	b := newBare(t, guard.Options{})
	b.fail(t, 5)
	b.clock.Advance(30 * time.Second)
	if b.state() != guard.BreakerHalfOpen {
		t.Fatalf("after the cool-down: %s, want half-open", b.state())
	}
	errs := make(chan error, 10)
	for range 10 {
		go func() { errs <- b.send(context.Background(), http.MethodGet, simA, "X-Test-Wait", "1") }()
	}
	<-b.in // the probe reached the server
	for range 9 {
		if err := <-errs; !errors.Is(err, guard.ErrBreakerOpen) {
			t.Errorf("a read while the probe runs: %v, want held", err)
		}
	}
	close(b.gate)
	if err := <-errs; err != nil {
		t.Errorf("the probe: %v", err)
	}
	if n := b.count(simA); n != 6 {
		t.Errorf("requests after the cool-down = %d, want 1 probe", n-5)
	}
	if b.state() != guard.BreakerClosed {
		t.Errorf("after a good probe: %s, want closed", b.state())
	}
	if err := b.send(context.Background(), http.MethodGet, simA); err != nil {
		t.Errorf("a read after the breaker closed: %v", err)
	}
}

// A failed probe opens the breaker for twice as long; a success resets the
// cool-down.
func TestBreakerFailedProbeDoublesTheCoolDown(t *testing.T) {
	t.Parallel()
	b := newBare(t, guard.Options{})
	b.fail(t, 5)
	b.clock.Advance(30 * time.Second)
	b.fail(t, 1) // the probe
	b.clock.Advance(59 * time.Second)
	if b.state() != guard.BreakerOpen {
		t.Errorf("59 s after a failed probe: %s, want open", b.state())
	}
	b.clock.Advance(time.Second)
	if err := b.send(context.Background(), http.MethodGet, simA); err != nil {
		t.Fatalf("the probe after 60 s: %v", err)
	}
	b.fail(t, 5)
	b.clock.Advance(30 * time.Second)
	if b.state() != guard.BreakerHalfOpen {
		t.Errorf("30 s after opening again: %s, want half-open (the cool-down reset)", b.state())
	}
}

// A cancel is always attempted once, even with the breaker open, and its
// outcome counts: a failure keeps it open, an answer closes it.
func TestBreakerLetsWritesThrough(t *testing.T) {
	t.Parallel()
	b := newBare(t, guard.Options{})
	b.fail(t, 5)
	if err := b.send(context.Background(), http.MethodPost, simA, "X-Test-Status", "502"); err != nil {
		t.Fatalf("a cancel with the breaker open: %v", err)
	}
	if n := b.count(simA); n != 6 || b.state() != guard.BreakerOpen {
		t.Errorf("after a failed cancel: %d requests, %s; want 6, open", n, b.state())
	}
	if err := b.send(context.Background(), http.MethodPost, simA); err != nil {
		t.Fatalf("a cancel with the breaker open: %v", err)
	}
	if b.state() != guard.BreakerClosed {
		t.Errorf("after a cancel Cloudflare answered: %s, want closed", b.state())
	}
}

// A probe whose caller went away proves nothing: the next read probes.
func TestBreakerProbeOfAGoneCaller(t *testing.T) {
	t.Parallel()
	b := newBare(t, guard.Options{})
	b.fail(t, 5)
	b.clock.Advance(30 * time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.send(ctx, http.MethodGet, simA, "X-Test-Wait", "1") }()
	<-b.in
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the gone caller's probe: %v", err)
	}
	close(b.gate)
	if b.state() != guard.BreakerHalfOpen {
		t.Errorf("after a probe without an answer: %s, want half-open", b.state())
	}
	if err := b.send(context.Background(), http.MethodGet, simA); err != nil {
		t.Errorf("the next read, as the probe: %v", err)
	}
}

// With the breaker open, the Guard serves the last good answer, saying why.
func TestGuardServesStaleWhileTheBreakerIsOpen(t *testing.T) {
	t.Parallel()
	s := newStack(t, guard.Options{})
	if _, err := s.guard.GetJob(context.Background(), simA, acct, job); err != nil {
		t.Fatal(err)
	}
	s.answer(simA, status(http.StatusServiceUnavailable))
	for range 2 { // three attempts each
		s.clock.Advance(3 * time.Second)
		s.guard.GetJob(context.Background(), simA, acct, job)
	}
	if got := s.tr.BreakerState(guard.Key(simA)); got != guard.BreakerOpen {
		t.Fatalf("after 5 failures: %s", got)
	}
	sent := s.count(simA, "", time.Time{})
	for range 10 { // 29 s of polling
		ctx := guard.WithStaleMarker(context.Background())
		got, err := s.guard.GetJob(ctx, simA, acct, job)
		at, why := guard.StaleReason(ctx)
		if err != nil || got == nil || at.IsZero() || !errors.Is(why, guard.ErrBreakerOpen) {
			t.Fatalf("read with the breaker open: %v, %v, stale at %v because %v", got, err, at, why)
		}
		s.clock.Advance(29 * time.Second / 10)
	}
	if n := s.count(simA, "", time.Time{}) - sent; n != 0 {
		t.Errorf("reads during the cool-down sent %d requests", n)
	}
}
