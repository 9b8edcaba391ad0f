// Package cfsim simulates the Cloudflare Email Security bulk-action-job API
// (shared/api/bulk-jobs.md) as an http.Handler, for tests, demos and load
// tests of the dashboard.
//
// It serves the six endpoints E1–E6 under /client/v4 with the v4 envelope,
// both auth schemes, per-account read/write permissions, the 1200 requests per
// 5 minutes rate limit (configurable), both job shapes, and a job engine that
// moves jobs through their lifecycle on an injectable Clock. Tests can inject
// faults and read a request log. The wire types are the simulator's own,
// written from the contract, and deliberately not shared with the client.
//
// There are no background goroutines: the engine catches up with the clock
// whenever a request or an accessor touches the Server.
//
// Each request goes through these stages, in order: routing (unknown route
// 404 code 7003, wrong method 405 code 7001), fault injection (faults apply
// before authentication, so they consume no quota and change no state unless
// Fault.After is set), authentication (400 code 6003, 403 code 9109), rate
// limiting (per principal, after authentication: only identified principals
// are counted), account_id length (400 code 1400), permission (403 code
// 10000), job_id format (400 code 1400), query or body validation, and finally
// the engine.
package cfsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path"
	"sync"
	"time"
)

// apiPrefix is the path prefix of every API endpoint.
const apiPrefix = "/client/v4"

// bulkPath is the E1/E2 path pattern; the other endpoints extend it.
const bulkPath = apiPrefix + "/accounts/{account_id}/email-security/investigate/bulk"

// Config configures a Server. Zero values take the defaults noted per field.
type Config struct {
	// Principals are the API tokens and legacy email+key pairs accepted.
	Principals []Principal
	// Accounts lists known account IDs. Accounts named in Principals or Jobs
	// are known anyway; a known account without jobs lists as empty.
	Accounts []string
	// Shape selects the 16-field (default) or 14-field job object.
	Shape Shape
	// RateLimit is the number of requests per RateWindow a principal may make
	// (default 1200; negative disables rate limiting).
	RateLimit int
	// RateWindow is the rate-limit window (default 5 minutes).
	RateWindow time.Duration
	// RateBlock is how long a principal is blocked after a breach (default 5
	// minutes).
	RateBlock time.Duration
	// Step is the engine's step length (default 1 second).
	Step time.Duration
	// Clock is the engine's clock (default RealClock).
	Clock Clock
	// Seed seeds every random choice, so that a seed and a clock give the same
	// results every run.
	Seed uint64
	// EnableAdmin serves the /__admin/ endpoints.
	EnableAdmin bool
	// Jobs are placed in the simulator at start.
	Jobs []SeedJob
}

// Server is the simulator. Create it with New; it is safe for concurrent use.
type Server struct {
	cfg        Config
	clock      Clock
	mux        *http.ServeMux
	byToken    map[string]*principal
	byEmail    map[string]*principal
	principals []*principal

	mu       sync.Mutex // guards the fields below
	accounts map[string]*account
	rng      *rand.Rand
	limits   map[string]*bucket

	faults faultSet
	log    requestLog
}

// account holds one account's jobs, newest first.
type account struct {
	jobs  map[string]*job
	order []*job // Q6: created_at descending, job_id ascending on ties
}

// New validates cfg, fills its defaults and returns a Server holding the seed
// jobs.
func New(cfg Config) (*Server, error) {
	cfg = withDefaults(cfg)
	if cfg.Step <= 0 || cfg.RateWindow <= 0 || cfg.RateBlock <= 0 {
		return nil, errors.New("cfsim: step, rate window and rate block must be positive")
	}
	s := &Server{
		cfg:      cfg,
		clock:    cfg.Clock,
		accounts: make(map[string]*account),
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x636673696d)),
		limits:   make(map[string]*bucket),
	}
	s.faults.rng = rand.New(rand.NewPCG(cfg.Seed, 0x6661756c74))
	if err := s.addPrincipals(cfg.Principals); err != nil {
		return nil, fmt.Errorf("cfsim: %w", err)
	}
	for _, id := range cfg.Accounts {
		if !validAccountID(id) {
			return nil, fmt.Errorf("cfsim: account %q must be 1 to 32 characters without '/'", id)
		}
		s.account(id)
	}
	for _, j := range cfg.Jobs {
		if err := s.AddJob(j.Account, j); err != nil {
			return nil, err
		}
	}
	s.mux = s.routes()
	return s, nil
}

func withDefaults(cfg Config) Config {
	if cfg.RateLimit == 0 {
		cfg.RateLimit = 1200
	}
	if cfg.RateWindow == 0 {
		cfg.RateWindow = 5 * time.Minute
	}
	if cfg.RateBlock == 0 {
		cfg.RateBlock = 5 * time.Minute
	}
	if cfg.Step == 0 {
		cfg.Step = time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	return cfg
}

// routes builds the route table. A known path with another method gets 405;
// anything else 404 with code 7003, as the real API answers unknown routes.
func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	job := bulkPath + "/{job_id}"
	m.Handle("GET "+bulkPath, s.api(endpoint{name: EndpointList, perm: PermRead, h: s.listJobs}))
	m.Handle("POST "+bulkPath, s.api(endpoint{name: EndpointCreate, perm: PermWrite, body: true, h: s.createJob}))
	m.Handle(bulkPath, s.notAllowed("GET, POST"))
	m.Handle("GET "+job, s.api(endpoint{name: EndpointGet, perm: PermRead, job: true, h: s.getJob}))
	// Q12: delete needs write although the sources list no permission.
	m.Handle("DELETE "+job, s.api(endpoint{name: EndpointDelete, perm: PermWrite, job: true, h: s.deleteJob}))
	m.Handle(job, s.notAllowed("GET, DELETE"))
	m.Handle("POST "+job+"/cancel", s.api(endpoint{name: EndpointCancel, perm: PermWrite, job: true, h: s.cancelJob}))
	m.Handle(job+"/cancel", s.notAllowed("POST"))
	m.Handle("GET "+job+"/messages", s.api(endpoint{name: EndpointMessages, perm: PermRead, job: true, h: s.listMessages}))
	m.Handle(job+"/messages", s.notAllowed("GET"))
	m.HandleFunc("/", s.notFound)
	if s.cfg.EnableAdmin {
		s.adminRoutes(m)
	}
	return m
}

// ServeHTTP serves one request. Every response carries a cf-ray header.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cf-Ray", newRayID())
	if p := r.URL.Path; p == "" || p[0] != '/' || path.Clean(p) != p {
		// ServeMux would answer an unclean path with a redirect; the API has
		// no such route, so it is a 404 like any other.
		s.notFound(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Config returns the effective configuration, with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Advance runs the job engine up to the clock's current time. Requests and
// Job do this anyway.
func (s *Server) Advance() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.clock.Now())
}

// advance runs every job's due steps. The caller holds s.mu.
func (s *Server) advance(now time.Time) {
	for _, a := range s.accounts {
		for _, j := range a.order {
			j.advanceTo(now)
		}
	}
}

// Job returns a snapshot of one job after advancing the engine, and false
// when the account has no such job (or it was deleted).
func (s *Server) Job(account, jobID string) (JobState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.clock.Now())
	a := s.accounts[account]
	if a == nil || a.jobs[jobID] == nil {
		return JobState{}, false
	}
	return a.jobs[jobID].snapshot(), true
}

// notFound answers unknown routes like the real API (code 7003).
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	rep := errReply(http.StatusNotFound, codeRouteNotFound,
		fmt.Sprintf("Could not route to %s, perhaps your object identifier is invalid?", r.URL.Path), "")
	s.logged(w, r, "", rep)
}

// notAllowed answers a known path with an unsupported method (405, code 7001:
// a simulator choice, the sources show no body for it).
func (s *Server) notAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := errReply(http.StatusMethodNotAllowed, codeMethodNotAllow, "Method not allowed for this endpoint", "")
		rep.header = http.Header{"Allow": {allow}}
		s.logged(w, r, "", rep)
	})
}

// logged writes rep and records the request.
func (s *Server) logged(w http.ResponseWriter, r *http.Request, ep string, rep reply) {
	s.log.add(LoggedRequest{
		Time: s.clock.Now(), Method: r.Method, Path: r.URL.Path, Endpoint: ep, Status: rep.status, RequestID: requestIDOf(r),
	})
	writeReply(w, rep)
}

// writeReply encodes rep as JSON.
func writeReply(w http.ResponseWriter, rep reply) {
	writeRaw(w, rep, encode(rep.env))
}

// encode marshals v without HTML escaping, so that "<id@host>" stays
// readable as the real API sends it.
func encode(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`{"success":false,"errors":[{"code":1500,"message":"encoding failed"}],"messages":[],"result":null}`)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// writeRaw writes rep's status and headers with the given body.
func writeRaw(w http.ResponseWriter, rep reply, body []byte) {
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rep.status)
	w.Write(body)
}

// newRayID returns a cf-ray value: 16 hex digits and "-SIM".
func newRayID() string {
	return fmt.Sprintf("%016x-SIM", rand.Uint64())
}
