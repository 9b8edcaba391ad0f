package guard_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// The simulator's demo data: a PROCESSING job, and two analysts' tokens.
const (
	acct = cfsim.DemoAccountID
	job  = "52fb7adc-02ed-4225-a484-c02787b1eed3"
)

var (
	simA = apiclient.Credential{APIToken: cfsim.DemoWriteToken}
	simB = apiclient.Credential{APIToken: cfsim.DemoReadToken}
)

// stack is the production wiring, client → Transport → simulator, with the
// Guard on top, all on one fake clock. Every request that reaches the
// upstream is recorded by token; a per-token script may answer in place of
// the simulator.
type stack struct {
	guard  *guard.Guard
	tr     *guard.Transport
	client *apiclient.Client
	sim    *cfsim.Server
	clock  *cfsim.FakeClock

	mu     sync.Mutex
	sent   []sentRequest
	script map[string]func(w http.ResponseWriter, r *http.Request) bool // by token; true: answered
}

// sentRequest is one request the upstream saw.
type sentRequest struct {
	token  string
	method string
	at     time.Time
}

// newStack builds a stack; the client retries a failed GET twice without
// waiting, as the default client does with waits.
func newStack(t *testing.T, o guard.Options) *stack {
	t.Helper()
	clock := cfsim.NewFakeClock(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC))
	cfg := cfsim.DemoConfig(clock.Now())
	cfg.Clock, cfg.RateLimit = clock, -1 // the dashboard's own counting is under test
	sim, err := cfsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{sim: sim, clock: clock, script: map[string]func(http.ResponseWriter, *http.Request) bool{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	o.Now = clock.Now
	if s.tr, err = guard.NewTransport(nil, o); err != nil {
		t.Fatal(err)
	}
	s.client, err = apiclient.New(apiclient.WithBaseURL(srv.URL+"/client/v4"), apiclient.WithRetries(2, 0),
		apiclient.WithHTTPClient(&http.Client{Transport: s.tr, Timeout: 10 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	if s.guard, err = guard.New(s.client, o); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *stack) serve(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	s.sent = append(s.sent, sentRequest{token: token, method: r.Method, at: s.clock.Now()})
	answer := s.script[token]
	s.mu.Unlock()
	if answer != nil && answer(w, r) {
		return
	}
	s.sim.ServeHTTP(w, r)
}

// answer makes every request of cred go to fn first (nil: the simulator).
func (s *stack) answer(cred apiclient.Credential, fn func(w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script[cred.APIToken] = fn
}

// count returns how many requests of cred with method ("" for any) reached
// the upstream at or after since.
func (s *stack) count(cred apiclient.Credential, method string, since time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.sent {
		if r.token == cred.APIToken && (method == "" || r.method == method) && !r.at.Before(since) {
			n++
		}
	}
	return n
}

// status answers every request with code, as Cloudflare's 5xx do.
func status(code int) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write([]byte(`{"success":false,"errors":[{"code":10000,"message":"upstream failed"}],"messages":[],"result":null}`))
		return true
	}
}

// rateLimited answers 429 code 971, with Retry-After unless it is 0.
func rateLimited(retryAfter time.Duration) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter.Seconds())))
		}
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"success":false,"errors":[{"code":971,"message":"Please wait and consider throttling your request speed"}],"messages":[],"result":null}`))
		return true
	}
}

// drop closes the connection without an answer, as a timeout or a reset does.
func drop(w http.ResponseWriter, r *http.Request) bool { panic(http.ErrAbortHandler) }
