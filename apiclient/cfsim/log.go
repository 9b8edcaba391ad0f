package cfsim

import (
	"net/http"
	"sync"
	"time"
)

// maxLogEntries bounds the request log of a long-running simulator; the
// oldest entries are dropped first.
const maxLogEntries = 10_000

// LoggedRequest is one request that reached the simulator, rejected ones
// included. It never holds a credential: only the principal's name.
type LoggedRequest struct {
	// Time is the simulator clock's time when the request arrived.
	Time time.Time `json:"time"`
	// Method and Path are the request's method and URL path (no query).
	Method string `json:"method"`
	Path   string `json:"path"`
	// Endpoint is EndpointList … EndpointMessages, or "" for a path or
	// method the API does not serve.
	Endpoint string `json:"endpoint"`
	// Principal is the authenticated principal's name, "" when none.
	Principal string `json:"principal"`
	// Status is the HTTP status answered, 0 when nothing was (a dropped
	// connection, or a client gone during injected latency).
	Status int `json:"status"`
	// RequestID is the request's X-Request-Id header, cut to 64 bytes; ""
	// when it had none. Cloudflare documents no such header; the simulator
	// records it so that tests can follow a dashboard request upstream.
	RequestID string `json:"request_id,omitempty"`
}

// requestIDOf returns r's X-Request-Id, bounded for the log.
func requestIDOf(r *http.Request) string {
	id := r.Header.Get("X-Request-Id")
	if len(id) > 64 {
		id = id[:64]
	}
	return id
}

// requestLog is the bounded, concurrency-safe request log. Admin requests
// are not logged.
type requestLog struct {
	mu      sync.Mutex
	entries []LoggedRequest
}

func (l *requestLog) add(e LoggedRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= maxLogEntries {
		l.entries = append(l.entries[:0], l.entries[len(l.entries)-maxLogEntries+1:]...)
	}
	l.entries = append(l.entries, e)
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []LoggedRequest {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return append([]LoggedRequest(nil), s.log.entries...)
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	s.log.entries = nil
}
