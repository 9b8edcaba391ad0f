package apiclient

import (
	"errors"
	"net/http"
	"time"
)

// ErrHeld: the request was held back before it left the process; Cloudflare
// never saw it. An *APIError for a held request matches ErrHeld besides its
// class (ErrRateLimited, ErrUnavailable, or none for a spent read budget) and
// is never retried.
var ErrHeld = errors.New("apiclient: the request was held back before it left the process; Cloudflare never saw it")

// HeldError is what an http.RoundTripper given through WithHTTPClient returns
// for a request it holds back instead of sending: a spent budget, a rate-limit
// block, an open circuit breaker. The client turns it into an *APIError with
// StatusCode 0 whose class is Class and whose RetryAfter is RetryAfter, and
// does not retry it.
type HeldError struct {
	Class      error         // ErrRateLimited, ErrUnavailable, or nil for none of the classes
	RetryAfter time.Duration // how long until the request could be sent
	Err        error         // why it was held, for errors.Is and the message
}

// Error reads like "held back before sending: read budget spent …".
func (e *HeldError) Error() string {
	if e.Err == nil {
		return "held back before sending"
	}
	return "held back before sending: " + e.Err.Error()
}

// Unwrap exposes ErrHeld and the reason.
func (e *HeldError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrHeld}
	}
	return []error{ErrHeld, e.Err}
}

// Holder is implemented by a RoundTripper that holds some requests back. Before
// it waits to retry a GET, the client asks WouldHold about the next attempt and
// stops when the answer is yes: it neither sleeps for nor sends an attempt that
// cannot leave, and returns the last answer Cloudflare gave.
type Holder interface {
	// WouldHold reports whether RoundTrip would hold req back now. It counts
	// nothing and changes nothing.
	WouldHold(req *http.Request) bool
}

// heldOf returns the HeldError inside err, or nil.
func heldOf(err error) *HeldError {
	var h *HeldError
	if errors.As(err, &h) {
		return h
	}
	return nil
}
