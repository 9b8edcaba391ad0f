package fleettest_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/respond/bulkjobs/apiclient/cfsim"
)

// account is the simulator account every analyst works on.
const account = cfsim.DemoAccountID

// runningJobs is how many jobs keep running for the whole test.
const runningJobs = 20

// sim is the Cloudflare simulator in this process, on real time, with one
// principal (its own token) per analyst and runningJobs PROCESSING jobs
// that outlast the test. Every request that reaches it is recorded by
// principal.
type sim struct {
	*cfsim.Server
	url    string
	jobs   []string          // the running jobs' IDs, the same in every sim of a run
	tokens map[string]string // principal (analyst email) → token; never logged

	mu    sync.Mutex
	calls []upstreamCall
}

// upstreamCall is one request that reached the simulator.
type upstreamCall struct {
	principal, method, path string
}

// newSim starts a simulator for the analysts, each with write access.
func newSim(t *testing.T, analysts ...string) *sim {
	t.Helper()
	now := time.Now()
	cfg := cfsim.Config{Accounts: []string{account}, Seed: 10}
	s := &sim{tokens: map[string]string{}}
	for _, email := range analysts {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		s.tokens[email] = "fleet-" + hex.EncodeToString(b)
		cfg.Principals = append(cfg.Principals, cfsim.Principal{Name: email, Token: s.tokens[email],
			Accounts: map[string]cfsim.Permission{account: cfsim.PermWrite}})
	}
	rng := mrand.New(mrand.NewPCG(10, 4))
	const rows = 3600 // one row a second: an hour
	for i := range runningJobs {
		var id uuid.UUID
		for j := range id {
			id[j] = byte(rng.Uint32())
		}
		id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80
		created := now.Add(-time.Duration(i+1) * time.Minute)
		comment := fmt.Sprintf("Fleet test job %d", i+1)
		cfg.Jobs = append(cfg.Jobs, cfsim.SeedJob{
			ID: id.String(), Account: account, Action: cfsim.ActionMove, Destination: "JunkEmail", Comment: &comment,
			SearchParams: cfsim.SearchParams{DetectionsOnly: true, Subject: "fleet test"},
			Status:       cfsim.StatusProcessing, TotalDiscovered: rows, Pending: rows,
			CreatedAt: &created, StartedAt: &created, Plan: &cfsim.Plan{Total: rows, ProcessPerStep: 1},
		})
		s.jobs = append(s.jobs, id.String())
	}
	srv, err := cfsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Server = srv
	byToken := map[string]string{}
	for email, tok := range s.tokens {
		byToken["Bearer "+tok] = email
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls = append(s.calls, upstreamCall{byToken[r.Header.Get("Authorization")], r.Method, r.URL.Path})
		s.mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	s.url = hs.URL
	return s
}

// apiURL is the base URL the dashboard takes.
func (s *sim) apiURL() string { return s.url + "/client/v4" }

// mark returns the number of calls so far, for since.
func (s *sim) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// since returns the calls after a mark.
func (s *sim) since(mark int) []upstreamCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]upstreamCall(nil), s.calls[mark:]...)
}

// cancelPOSTs counts the cancel requests for job that reached the simulator.
func (s *sim) cancelPOSTs(job string) int {
	n := 0
	for _, c := range s.since(0) {
		if c.method == http.MethodPost && strings.HasSuffix(c.path, "/"+job+"/cancel") {
			n++
		}
	}
	return n
}

// byEndpoint counts one principal's calls by endpoint: list, get, messages,
// cancel, other.
func byEndpoint(calls []upstreamCall, who string) map[string]int {
	m := map[string]int{}
	for _, c := range calls {
		if c.principal != who {
			continue
		}
		switch {
		case strings.HasSuffix(c.path, "/bulk"):
			m["list"]++
		case strings.HasSuffix(c.path, "/messages"):
			m["messages"]++
		case strings.HasSuffix(c.path, "/cancel"):
			m["cancel"]++
		case c.method == http.MethodGet:
			m["get"]++
		default:
			m["other"]++
		}
	}
	return m
}

// perPrincipal counts calls by principal.
func perPrincipal(calls []upstreamCall) map[string]int {
	m := map[string]int{}
	for _, c := range calls {
		m[c.principal]++
	}
	return m
}
