package cfsim

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// Endpoint names, used by the request log and by Fault.Endpoint.
const (
	EndpointList     = "list"     // E1 GET …/bulk
	EndpointCreate   = "create"   // E2 POST …/bulk
	EndpointGet      = "get"      // E3 GET …/bulk/{job_id}
	EndpointDelete   = "delete"   // E4 DELETE …/bulk/{job_id}
	EndpointCancel   = "cancel"   // E5 POST …/bulk/{job_id}/cancel
	EndpointMessages = "messages" // E6 GET …/bulk/{job_id}/messages
)

// maxBodyBytes caps an E2 body; a larger body gets 413 code 1413.
const maxBodyBytes = 1 << 20

// endpoint describes one API route.
type endpoint struct {
	name string
	perm Permission // needed on the account
	job  bool       // the path has a {job_id}
	body bool       // the handler reads a JSON body
	h    func(*call) reply
}

// call is one validated API request, handed to a handler under s.mu after
// the engine has caught up with now.
type call struct {
	r       *http.Request
	now     time.Time
	account string
	jobID   string
	body    []byte
}

// statusWriter remembers the status written, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status written.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (FaultDrop).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// api wraps an endpoint with logging, fault injection and the request
// pipeline described in the package comment.
func (s *Server) api(ep endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		rec := LoggedRequest{Time: s.clock.Now(), Method: r.Method, Path: r.URL.Path, Endpoint: ep.name, RequestID: requestIDOf(r)}
		// Deferred so that a dropped connection (status 0) is logged too.
		defer func() {
			rec.Status = sw.status
			s.log.add(rec)
		}()
		f := s.faults.pick(ep.name)
		if f != nil && !f.After {
			rec.Principal = s.identify(r)
			if !s.faultBefore(sw, r, f) {
				return
			}
		}
		rep, who := s.serveAPI(r, ep)
		rec.Principal = who
		if f != nil && f.After {
			s.faultAfter(sw, r, f, rep)
			return
		}
		writeReply(sw, rep)
	})
}

// serveAPI runs authentication, rate limiting and the endpoint, and returns
// the answer with the principal's name ("" when unauthenticated).
func (s *Server) serveAPI(r *http.Request, ep endpoint) (reply, string) {
	p, err := s.authenticate(r)
	if err != nil {
		var ae *authError
		errors.As(err, &ae)
		return ae.rep, ""
	}
	s.mu.Lock()
	lim := s.takeToken(p.Name, s.clock.Now())
	s.mu.Unlock()
	if lim.blocked != nil {
		return *lim.blocked, p.Name
	}
	rep := s.dispatch(r, ep, p)
	for k, v := range lim.header {
		rep.setHeader(k, v[0])
	}
	return rep, p.Name
}

// dispatch validates the path and body, then runs the handler against the
// engine state at the clock's now.
func (s *Server) dispatch(r *http.Request, ep endpoint, p *principal) reply {
	c := &call{r: r, account: r.PathValue("account_id")}
	if len(c.account) > 32 {
		return badRequest("/account_id", "account_id must be at most 32 characters") // Q15
	}
	if p.allowed(c.account, ep.perm) != nil {
		return errReply(http.StatusForbidden, codeAuthError, "Authentication error", "") // Q13, Q15
	}
	if ep.job {
		c.jobID = r.PathValue("job_id")
		if !validJobID(c.jobID) {
			return badRequest("/job_id", "job_id must be a canonical lowercase uuid") // Q4
		}
	}
	if ep.body {
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return errReply(http.StatusRequestEntityTooLarge, codeTooLarge, "request body is larger than 1 MiB", "")
		case err != nil:
			return badRequest("", "request body could not be read")
		}
		c.body = body
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.now = s.clock.Now()
	s.advance(c.now)
	return ep.h(c)
}
