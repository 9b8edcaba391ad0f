package guard

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// Observer is told what the Transport and the Guard do, for the metrics:
// every attempt the Transport was given (sent or held back, each retry
// its own attempt) and how each read through the Guard was answered. It is
// never told a credential, a path or an ID. Its methods run on the request's
// goroutine: they must be quick and safe for concurrent use.
type Observer interface {
	Attempt(Attempt)
	Read(ReadResult)
}

// Attempt is one request given to the Transport.
type Attempt struct {
	// Endpoint is one of the Endpoint constants, from the method and the
	// shape of the path, never the path itself (it holds IDs).
	Endpoint string
	// Outcome is one of the Outcome constants.
	Outcome string
	// Duration is from sending to the answer's headers; 0 when held back.
	Duration time.Duration
}

// Endpoints, as the contract numbers them (E1 … E6).
const (
	EndpointList     = "list"     // E1: GET  …/investigate/bulk
	EndpointCreate   = "create"   // E2: POST …/investigate/bulk
	EndpointGet      = "get"      // E3: GET  …/investigate/bulk/{job_id}
	EndpointDelete   = "delete"   // E4: DELETE …/investigate/bulk/{job_id}
	EndpointCancel   = "cancel"   // E5: POST …/investigate/bulk/{job_id}/cancel
	EndpointMessages = "messages" // E6: GET  …/investigate/bulk/{job_id}/messages
	EndpointOther    = "other"    // anything else
)

// Outcomes of an attempt.
const (
	Outcome2xx            = "2xx"
	Outcome3xx            = "3xx" // never followed: the client stops at a redirect
	Outcome4xx            = "4xx" // but 429
	Outcome429            = "429"
	Outcome5xx            = "5xx"
	OutcomeTransportError = "transport_error" // no answer: a refused or dropped connection, a timeout
	OutcomeCanceled       = "canceled"        // the caller went away before the answer
	OutcomeHeldBudget     = "held_budget"     // never sent: the budget (reads' or all) was spent
	OutcomeHeldBlock      = "held_block"      // never sent: Cloudflare's Retry-After block runs
	OutcomeHeldBreaker    = "held_breaker"    // never sent: the circuit breaker is open
	OutcomeBudgetError    = "budget_error"    // never sent: the Budget could not count it
)

// ReadResult is how the Guard answered one read.
type ReadResult string

// The Guard's answers to a read.
const (
	ReadHit   ReadResult = "hit"   // from the cache, no call
	ReadMiss  ReadResult = "miss"  // by a call to the client (its own, or one it shared)
	ReadStale ReadResult = "stale" // the call failed; the last good answer was served
	ReadError ReadResult = "error" // the call failed and nothing was served
)

// report tells the observer about one attempt.
func (t *Transport) report(req *http.Request, start time.Time, resp *http.Response, err error) {
	if t.observer == nil {
		return
	}
	a := Attempt{Endpoint: endpointOf(req.Method, req.URL.Path), Outcome: outcomeOf(req.Context(), resp, err)}
	if !strings.HasPrefix(a.Outcome, "held_") && a.Outcome != OutcomeBudgetError {
		a.Duration = time.Since(start)
	}
	t.observer.Attempt(a)
}

// outcomeOf classifies what RoundTrip returned.
func outcomeOf(ctx context.Context, resp *http.Response, err error) string {
	var held *apiclient.HeldError
	var hold *Hold
	switch {
	case errors.As(err, &held) && errors.As(err, &hold):
		switch {
		case errors.Is(hold.Reason, ErrBlocked):
			return OutcomeHeldBlock
		case errors.Is(hold.Reason, ErrBreakerOpen):
			return OutcomeHeldBreaker
		}
		return OutcomeHeldBudget
	case held != nil:
		return OutcomeBudgetError
	case err != nil && errors.Is(ctx.Err(), context.Canceled):
		return OutcomeCanceled
	case err != nil:
		return OutcomeTransportError
	case resp.StatusCode == http.StatusTooManyRequests:
		return Outcome429
	case resp.StatusCode >= 500:
		return Outcome5xx
	case resp.StatusCode >= 400:
		return Outcome4xx
	case resp.StatusCode >= 300:
		return Outcome3xx
	}
	return Outcome2xx
}

// bulkPath is where the bulk-job endpoints live below an account.
const bulkPath = "/email-security/investigate/bulk"

// endpointOf names the endpoint of a request from its method and the shape
// of its path: …/accounts/{account_id}/email-security/investigate/bulk,
// then nothing, /{job_id}, /{job_id}/cancel or /{job_id}/messages.
func endpointOf(method, path string) string {
	i := strings.LastIndex(path, bulkPath)
	if i < 0 || !strings.Contains(path[:i], "/accounts/") {
		return EndpointOther
	}
	rest := strings.Split(strings.Trim(path[i+len(bulkPath):], "/"), "/")
	switch {
	case len(rest) == 1 && rest[0] == "" && method == http.MethodGet:
		return EndpointList
	case len(rest) == 1 && rest[0] == "" && method == http.MethodPost:
		return EndpointCreate
	case len(rest) == 1 && rest[0] != "" && method == http.MethodGet:
		return EndpointGet
	case len(rest) == 1 && rest[0] != "" && method == http.MethodDelete:
		return EndpointDelete
	case len(rest) == 2 && rest[1] == "cancel" && method == http.MethodPost:
		return EndpointCancel
	case len(rest) == 2 && rest[1] == "messages" && method == http.MethodGet:
		return EndpointMessages
	}
	return EndpointOther
}

// observeRead tells the observer how a read was answered.
func (g *Guard) observeRead(r ReadResult) {
	if g.observer != nil {
		g.observer.Read(r)
	}
}
