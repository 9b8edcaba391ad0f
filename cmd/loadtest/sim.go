package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/respond/bulkjobs/apiclient/cfsim"
)

// account is the simulator account every analyst works on: the first demo
// account, which holds jobs in every state.
const account = cfsim.DemoAccountID

// simulator is the upstream the dashboard calls.
type simulator struct {
	url    string   // root URL; the API is under /client/v4
	jobs   []string // running jobs, for job tabs
	counts *counter // nil for an external simulator
	close  func()
}

// apiURL is the base URL the dashboard and apiclient take.
func (s *simulator) apiURL() string { return s.url + "/client/v4" }

// startSim serves the demo data plus running jobs on addr, with one
// principal per token and Cloudflare's rate limit.
func startSim(o options, tokens []string, floorToken string) (*simulator, error) {
	cfg := cfsim.DemoConfig(time.Now())
	cfg.Seed = o.Seed
	all := append([]string{floorToken}, tokens...)
	seen := map[string]bool{}
	for i, tok := range all {
		if seen[tok] {
			continue // a shared token is one principal
		}
		seen[tok] = true
		cfg.Principals = append(cfg.Principals, cfsim.Principal{
			Name: fmt.Sprintf("loadtest-%d", i), Token: tok,
			Accounts: map[string]cfsim.Permission{account: cfsim.PermWrite},
		})
	}
	sim, err := cfsim.New(cfg)
	if err != nil {
		return nil, err
	}
	s := &simulator{counts: newCounter(all)}
	// Jobs that keep running: one row per second, for longer than the test
	// can last (user creation, the login window, the run, and a margin).
	rows := int((o.LoginWindow+o.Duration)/time.Second) + 1800
	rng := rand.New(rand.NewPCG(o.Seed, 0x6c6f6164))
	now := time.Now()
	for i := range o.RunningJobs {
		id := seededUUID(rng)
		created := now.Add(-time.Duration(i) * time.Second)
		comment := fmt.Sprintf("Load test job %d: keeps running", i+1)
		if err := sim.AddJob(account, cfsim.SeedJob{
			ID: id, Action: cfsim.ActionMove, Destination: "JunkEmail", Comment: &comment,
			SearchParams: cfsim.SearchParams{DetectionsOnly: true, Subject: "load test"},
			Status:       cfsim.StatusProcessing, TotalDiscovered: rows, Pending: rows,
			CreatedAt: &created, StartedAt: &created,
			Plan: &cfsim.Plan{Total: rows, ProcessPerStep: 1},
		}); err != nil {
			return nil, err
		}
		s.jobs = append(s.jobs, id)
	}
	ln, err := net.Listen("tcp", o.SimAddr)
	if err != nil {
		return nil, fmt.Errorf("simulator: listen on %s: %w", o.SimAddr, err)
	}
	srv := &http.Server{Handler: s.counts.wrap(sim), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	s.url = "http://" + ln.Addr().String()
	s.close = func() { srv.Close() }
	return s, nil
}

// seededUUID returns a random (version 4) UUID drawn from rng.
func seededUUID(rng *rand.Rand) string {
	var u uuid.UUID
	for i := range u {
		u[i] = byte(rng.Uint32())
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}

// newToken returns a random simulator token. Tokens are never printed.
func newToken() string {
	b := make([]byte, 16)
	crand.Read(b)
	return "loadtest-" + hex.EncodeToString(b)
}

// counter counts upstream calls per token as they reach the simulator. The
// map is fixed at start, so lookups need no lock.
type counter struct {
	byToken map[string]*tokenCount
	unknown tokenCount // calls with no known token
}

// tokenCount is one token's calls.
type tokenCount struct {
	calls, tooMany atomic.Int64
	list, get      atomic.Int64
	messages, rest atomic.Int64
}

func newCounter(tokens []string) *counter {
	c := &counter{byToken: map[string]*tokenCount{}}
	for _, t := range tokens {
		if c.byToken[t] == nil {
			c.byToken[t] = &tokenCount{}
		}
	}
	return c
}

// callCount is one token's calls and 429s at some moment.
type callCount struct{ calls, tooMany, list, get, messages, rest int64 }

// snapshot reads every token's counts (nil for an external simulator).
func snapshot(c *counter) map[string]callCount {
	if c == nil {
		return nil
	}
	m := make(map[string]callCount, len(c.byToken))
	for tok, tc := range c.byToken {
		m[tok] = callCount{tc.calls.Load(), tc.tooMany.Load(), tc.list.Load(), tc.get.Load(), tc.messages.Load(), tc.rest.Load()}
	}
	return m
}

// wrap counts each request by its bearer token, endpoint and status.
func (c *counter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		tc := c.byToken[tok]
		if tc == nil {
			tc = &c.unknown
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		tc.calls.Add(1)
		if sw.status == http.StatusTooManyRequests {
			tc.tooMany.Add(1)
		}
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/bulk"):
			tc.list.Add(1)
		case strings.HasSuffix(p, "/messages"):
			tc.messages.Add(1)
		case r.Method == http.MethodGet:
			tc.get.Add(1)
		default:
			tc.rest.Add(1)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// externalSim describes a simulator the tool did not start. Its running jobs
// are found by listing the account with the first token.
func externalSim(ctx context.Context, rawURL, token string) (*simulator, error) {
	s := &simulator{url: strings.TrimSuffix(strings.TrimSuffix(rawURL, "/"), "/client/v4"), close: func() {}}
	jobs, err := runningJobs(ctx, s.apiURL(), token)
	if err != nil {
		return nil, fmt.Errorf("-sim: list the running jobs of %s: %w", account, err)
	}
	s.jobs = jobs
	return s, nil
}

// loopbackURL accepts only http URLs on a loopback host.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("%q is not an http URL", raw)
	}
	return loopbackHost(u.Hostname())
}

// loopbackPostgres accepts only a postgres:// URL on a loopback host.
func loopbackPostgres(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return errors.New("want a postgres://USER:PASSWORD@127.0.0.1:PORT/DBNAME URL") // never quote it: it holds a password
	}
	return loopbackHost(u.Hostname())
}

// loopbackAddr accepts only a listen address on a loopback host.
func loopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-sim-addr: %q is not host:port", addr)
	}
	return loopbackHost(host)
}

func loopbackHost(host string) error {
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("the load test sends traffic to loopback only (127.0.0.1, ::1 or localhost), not " + host)
}
