package cfsim

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is what an injected fault does.
type FaultKind int

const (
	// FaultLatency delays the answer by Fault.Latency of real time, then
	// serves the request normally. It returns early, answering nothing, when
	// the client goes away.
	FaultLatency FaultKind = iota + 1
	// FaultStatus answers Fault.Status (default 503) with a Cloudflare
	// envelope whose code is 1000+status (a simulator choice).
	FaultStatus
	// FaultRateLimit answers 429 code 971 with Retry-After of
	// Fault.RetryAfter (default 60s), without touching the real limiter.
	FaultRateLimit
	// FaultDrop closes the connection without answering. Through a
	// ResponseWriter that cannot be hijacked (HTTP/2, httptest.Recorder) it
	// panics with http.ErrAbortHandler, which net/http turns into an abort.
	FaultDrop
	// FaultMalformed answers 200 with a truncated JSON body.
	FaultMalformed
	// FaultHTML answers Fault.Status (default 502) with an HTML error page,
	// as a proxy in front of the API would.
	FaultHTML
)

var faultKindNames = map[FaultKind]string{
	FaultLatency: "latency", FaultStatus: "status", FaultRateLimit: "rate_limit",
	FaultDrop: "drop", FaultMalformed: "malformed", FaultHTML: "html",
}

// String returns the kind's name as used in the admin API.
func (k FaultKind) String() string {
	if n, ok := faultKindNames[k]; ok {
		return n
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText encodes the kind's name.
func (k FaultKind) MarshalText() ([]byte, error) {
	if _, ok := faultKindNames[k]; !ok {
		return nil, fmt.Errorf("cfsim: unknown fault kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText decodes a kind's name: latency, status, rate_limit, drop,
// malformed or html.
func (k *FaultKind) UnmarshalText(b []byte) error {
	for kind, name := range faultKindNames {
		if name == string(b) {
			*k = kind
			return nil
		}
	}
	return fmt.Errorf("cfsim: unknown fault kind %q", b)
}

// Fault is an injected failure for tests.
//
// Which requests it hits: those of Endpoint (EndpointList … EndpointMessages,
// or "" for all six API endpoints; never unknown routes or admin paths).
// Count > 0 limits the fault to the next Count hits; each matching request is
// hit with chance Probability, where 0 means 1 when Count is set. With Count
// 0 the fault never runs out and hits with chance Probability (0: never).
// When several faults match, the first injected that hits wins.
//
// When it applies: before the request is handled (and before authentication,
// so it consumes no rate-limit quota and changes no state), or with After set,
// after the real handler ran: the state change happened but the answer is
// replaced, delayed or lost.
type Fault struct {
	Endpoint    string
	Kind        FaultKind
	Status      int
	Latency     time.Duration
	RetryAfter  time.Duration
	Probability float64
	Count       int
	After       bool
}

// faultSet holds the active faults in injection order.
type faultSet struct {
	mu     sync.Mutex
	rng    *rand.Rand
	nextID int
	list   []*faultEntry
}

type faultEntry struct {
	id    string
	fault Fault
}

// InjectFault adds a fault and returns its ID for RemoveFault.
func (s *Server) InjectFault(f Fault) string {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.nextID++
	id := "fault-" + strconv.Itoa(s.faults.nextID)
	s.faults.list = append(s.faults.list, &faultEntry{id: id, fault: f})
	return id
}

// RemoveFault removes one fault and reports whether it was active.
func (s *Server) RemoveFault(id string) bool {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	for i, e := range s.faults.list {
		if e.id == id {
			s.faults.list = append(s.faults.list[:i], s.faults.list[i+1:]...)
			return true
		}
	}
	return false
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.list = nil
}

// pick returns the fault that hits a request to endpoint, consuming one of
// its Count, or nil.
func (fs *faultSet) pick(endpoint string) *Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, e := range fs.list {
		f := e.fault
		if f.Endpoint != "" && f.Endpoint != endpoint {
			continue
		}
		p := f.Probability
		if p == 0 && f.Count > 0 {
			p = 1
		}
		if p <= 0 || (p < 1 && fs.rng.Float64() >= p) {
			continue
		}
		if f.Count > 0 {
			e.fault.Count--
			if e.fault.Count == 0 {
				fs.list = append(fs.list[:i], fs.list[i+1:]...)
			}
		}
		return &f
	}
	return nil
}

// faultBefore applies f before the request is handled and reports whether
// handling should go on (only after a completed latency).
func (s *Server) faultBefore(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	switch f.Kind {
	case FaultLatency:
		return sleep(r.Context(), f.Latency)
	case FaultMalformed:
		rep := reply{status: http.StatusOK}
		writeRaw(w, rep, []byte(`{"success":true,"errors":[],"messages":[],"result":{"job_id":"`))
		return false
	case FaultStatus, FaultRateLimit, FaultDrop, FaultHTML:
		s.faultAnswer(w, f)
		return false
	}
	return true
}

// faultAfter applies f once the real handler produced rep.
func (s *Server) faultAfter(w http.ResponseWriter, r *http.Request, f *Fault, rep reply) {
	switch f.Kind {
	case FaultLatency:
		if sleep(r.Context(), f.Latency) {
			writeReply(w, rep)
		}
	case FaultMalformed:
		body := encode(rep.env)
		rep.status = http.StatusOK
		writeRaw(w, rep, body[:len(body)/2])
	case FaultStatus, FaultRateLimit, FaultDrop, FaultHTML:
		s.faultAnswer(w, f)
	default:
		writeReply(w, rep)
	}
}

// faultAnswer writes the error answer of f, or drops the connection.
func (s *Server) faultAnswer(w http.ResponseWriter, f *Fault) {
	switch f.Kind {
	case FaultStatus:
		st := cmp.Or(f.Status, http.StatusServiceUnavailable)
		writeReply(w, errReply(st, 1000+st, http.StatusText(st), ""))
	case FaultRateLimit:
		secs := max(ceilSeconds(cmp.Or(f.RetryAfter, time.Minute)), 1)
		rep := errReply(http.StatusTooManyRequests, codeRateLimited,
			"Please wait and consider throttling your request speed", "")
		rep.setHeader("Retry-After", strconv.Itoa(secs))
		rep.setHeader("Ratelimit", fmt.Sprintf(`"default";r=0;t=%d`, secs))
		writeReply(w, rep)
	case FaultHTML:
		st := cmp.Or(f.Status, http.StatusBadGateway)
		rep := reply{status: st, header: http.Header{"Content-Type": {"text/html; charset=UTF-8"}}}
		writeRaw(w, rep, htmlErrorPage(st))
	case FaultDrop:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		conn.Close()
	}
}

// sleep waits d of real time and reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// htmlErrorPage imitates the page a proxy in front of the API serves.
func htmlErrorPage(status int) []byte {
	return fmt.Appendf(nil, `<!DOCTYPE html>
<html lang="en-US"><head><title>api.cloudflare.com | %d: %s</title></head>
<body><div id="cf-error-details"><h1>%s</h1><span class="cf-error-code">Error code %d</span>
<p>The web server reported an error: %s.</p>
<p>Cloudflare Ray ID: <strong>simulated</strong></p></div></body></html>
`, status, http.StatusText(status), http.StatusText(status), status, strings.ToLower(http.StatusText(status)))
}
