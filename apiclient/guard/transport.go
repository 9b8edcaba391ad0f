package guard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// Transport is the http.RoundTripper under apiclient.Client that counts every
// request where it leaves the process, the client's GET retries included.
// Cloudflare allows 1200 requests per 5 minutes per user and then blocks
// every call of that user, the cancel an analyst needs most included, so per
// credential:
//
//   - reads may use the budget less the headroom, writes the whole budget;
//   - a 429 on any request blocks the credential for its Retry-After (a
//     window without one): nothing is sent then, cancels included, since
//     Cloudflare would refuse them too;
//   - after several failures in a row the breaker holds reads for a
//     cool-down, then lets one probe through; writes always go.
//
// A request held back is never sent: RoundTrip returns an
// *apiclient.HeldError, whose reason is a *Hold, and the client neither
// retries it nor waits for a retry that would be held. Other credentials are
// never affected. The counts are the Budget's: per process for a
// MemoryBudget, so with several replicas give each a share of the budget
// (DASHBOARD_UPSTREAM_BUDGET), or use a shared Budget. The breaker is per
// process.
type Transport struct {
	base     http.RoundTripper
	budget   Budget
	breaker  *breaker
	window   time.Duration
	now      func() time.Time
	observer Observer // nil: nobody is told
}

// NewTransport wraps base (http.DefaultTransport when nil).
func NewTransport(base http.RoundTripper, o Options) (*Transport, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if base == nil {
		base = http.DefaultTransport
	}
	if o.Budget == nil {
		if o.Budget, err = NewMemoryBudget(o.Limit, o.Headroom, o.Window); err != nil {
			return nil, err
		}
	}
	return &Transport{base: base, budget: o.Budget, breaker: newBreaker(o), window: o.Window, now: o.Now, observer: o.Observer}, nil
}

// RoundTrip sends req unless the credential's block, budget or breaker holds
// it back, and learns from the answer. The Observer is told of every attempt.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.roundTrip(req)
	t.report(req, start, resp, err)
	return resp, err
}

// roundTrip is RoundTrip without the report.
func (t *Transport) roundTrip(req *http.Request) (*http.Response, error) {
	ctx, key, write := req.Context(), requestKey(req.Header), isWrite(req.Method)
	now := t.now()
	probe, hold := t.breaker.allow(key, write, now)
	if hold == nil {
		var err error
		hold, err = t.budget.Take(ctx, key, write, now)
		if hold != nil || err != nil {
			t.breaker.done(key, neutral, probe, now) // never sent: a probe's slot is free again
		}
		if err != nil {
			closeBody(req)
			return nil, &apiclient.HeldError{Class: apiclient.ErrUnavailable, Err: fmt.Errorf("guard: %w: %w", ErrBudgetUnavailable, err)}
		}
	}
	if hold != nil {
		closeBody(req)
		return nil, heldError(hold, now)
	}
	resp, err := t.base.RoundTrip(req)
	t.observe(ctx, key, probe, resp, err)
	return resp, err
}

// WouldHold reports whether RoundTrip would hold req back now; it implements
// apiclient.Holder, so the client does not wait for a retry that cannot go.
func (t *Transport) WouldHold(req *http.Request) bool {
	key, write, now := requestKey(req.Header), isWrite(req.Method), t.now()
	if t.breaker.wouldHold(key, write, now) {
		return true
	}
	hold, err := t.budget.Peek(req.Context(), key, write, now)
	return hold != nil || err != nil
}

// BreakerState returns the breaker state of the credential whose Key is key.
func (t *Transport) BreakerState(key string) BreakerState {
	return t.breaker.state(key, t.now())
}

// observe feeds an answer to the breaker and a 429 to the budget.
func (t *Transport) observe(ctx context.Context, key string, probe bool, resp *http.Response, err error) {
	now := t.now()
	switch {
	case err != nil && errors.Is(ctx.Err(), context.Canceled):
		t.breaker.done(key, neutral, probe, now) // the caller went away; Cloudflare may be fine
	case err != nil, resp.StatusCode >= 500:
		t.breaker.done(key, failure, probe, now)
	default:
		if resp.StatusCode == http.StatusTooManyRequests {
			wait := apiclient.ParseRetryAfter(resp.Header.Get("Retry-After"), now)
			if wait <= 0 {
				wait = t.window // contract 7.5: the block lasts five minutes
			}
			// A Budget that cannot record the block is no reason to fail
			// this answer; the next 429 tries again.
			_ = t.budget.Block(ctx, key, now.Add(wait))
		}
		t.breaker.done(key, success, probe, now)
	}
}

// heldError is the error RoundTrip returns for a hold: its class is the one
// the analyst's sentence and the Guard's stale answers go by.
func heldError(h *Hold, now time.Time) *apiclient.HeldError {
	var class error // a spent read budget is none of the client's classes
	switch {
	case errors.Is(h.Reason, ErrBlocked), errors.Is(h.Reason, ErrWriteBudget):
		class = apiclient.ErrRateLimited
	case errors.Is(h.Reason, ErrBreakerOpen):
		class = apiclient.ErrUnavailable
	}
	return &apiclient.HeldError{Class: class, RetryAfter: max(h.Until.Sub(now), 0), Err: h}
}

// Key identifies a credential without keeping its secret: a hash of what the
// client sends for it. The Guard, the Budget and BreakerState use it.
func Key(c apiclient.Credential) string {
	if c.APIToken != "" {
		return hashKey("token", c.APIToken)
	}
	return hashKey("key", c.Email, c.APIKey)
}

// requestKey is Key for the authentication headers of a request.
func requestKey(h http.Header) string {
	if token, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok && token != "" {
		return hashKey("token", token)
	}
	return hashKey("key", h.Get("X-Auth-Email"), h.Get("X-Auth-Key"))
}

func hashKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// isWrite reports whether a method changes something (a cancel): writes may
// use the headroom and pass an open breaker.
func isWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// closeBody closes a request body, as a RoundTripper must even when it sends
// nothing.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
