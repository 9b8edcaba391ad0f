// Package apiclient is a typed client for Cloudflare Email Security's bulk action
// job endpoints (the contract is ../shared/api/bulk-jobs.md). It uses the
// standard library only, plus github.com/google/uuid for ID checks.
//
// One Client serves every analyst: the Credential travels with each call. IDs
// are validated before any URL is built, redirects are never followed, only
// GETs are retried, and errors come back as *APIError matching one of the
// sentinel classes. The client never logs.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

// DefaultBaseURL is Cloudflare's v4 API.
const DefaultBaseURL = "https://api.cloudflare.com/client/v4"

// Defaults for a new Client.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxRetries  = 2 // so a GET is sent at most three times
	DefaultBackoff     = 250 * time.Millisecond
	DefaultMaxBodySize = 16 << 20 // a 1000-job page is about 1.5 MiB
	defaultUserAgent   = "bulkjobs-dashboard/1.0 (+apiclient)"
	maxBackoff         = 5 * time.Second
)

// Client calls the Cloudflare API. It is safe for concurrent use.
type Client struct {
	base        *url.URL
	http        *http.Client
	userAgent   string
	maxRetries  int
	backoff     time.Duration
	maxBodySize int64
}

// New returns a Client for DefaultBaseURL unless WithBaseURL says otherwise.
func New(opts ...Option) (*Client, error) {
	c := &Client{
		http:        &http.Client{Timeout: DefaultTimeout},
		userAgent:   defaultUserAgent,
		maxRetries:  DefaultMaxRetries,
		backoff:     DefaultBackoff,
		maxBodySize: DefaultMaxBodySize,
	}
	if err := WithBaseURL(DefaultBaseURL)(c); err != nil {
		return nil, err
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, nil
}

// BaseURL returns the configured API root.
func (c *Client) BaseURL() string { return c.base.String() }

// request is one prepared call: everything needed to send it again on retry.
type request struct {
	method string
	path   string // below the base URL, from validated IDs only
	query  url.Values
	body   []byte
	cred   Credential
	redact *redactor // removes the credential from everything upstream sends back
}

// newRequest prepares a call. path must be built from validated values only.
func (c *Client) newRequest(method, path string, query url.Values, body any, cred Credential) (*request, error) {
	if err := cred.validate(); err != nil {
		return nil, err
	}
	r := &request{method: method, path: path, query: query, cred: cred, redact: newRedactor(cred)}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("apiclient: encode %s %s body: %w", method, path, err)
		}
		r.body = b
	}
	return r, nil
}

// do sends r, retrying idempotent GETs, and decodes the envelope's result into
// out (which may be nil). It returns the envelope's result_info when present.
func (c *Client) do(ctx context.Context, r *request, out any) (*ResultInfo, error) {
	attempts := 1
	if r.method == http.MethodGet {
		attempts += c.maxRetries
	}
	var lastErr *APIError
	for i := 0; i < attempts; i++ {
		if i > 0 {
			if c.wouldHold(ctx, r) {
				return nil, lastErr // the retry could not leave: report Cloudflare's last answer
			}
			if err := sleep(ctx, c.delay(i, lastErr)); err != nil {
				return nil, lastErr
			}
		}
		ri, err := c.once(ctx, r, out)
		if err == nil {
			return ri, nil
		}
		if i > 0 && errors.Is(err, ErrHeld) {
			return nil, lastErr // held after all (another request took the last slot)
		}
		if !retryable(err) || ctx.Err() != nil {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}

// retryable reports whether a GET may be sent again after err: transport
// failures and 5xx only. 429 is returned at once so the caller can honour
// Retry-After, a bad answer is not improved by asking again, and a held
// request was never sent: asking again would only be held again.
func retryable(err *APIError) bool {
	if errors.Is(err, ErrHeld) {
		return false
	}
	return err.StatusCode == 0 && err.Err != nil || err.StatusCode >= 500
}

// wouldHold asks the transport, when it is a Holder, whether r's next attempt
// would be held back.
func (c *Client) wouldHold(ctx context.Context, r *request) bool {
	h, ok := c.http.Transport.(Holder)
	if !ok {
		return false
	}
	req, err := c.build(ctx, r)
	return err == nil && h.WouldHold(req)
}

// delay is the wait before attempt i: exponential with jitter, or the server's
// Retry-After when it is short enough.
func (c *Client) delay(i int, last *APIError) time.Duration {
	if last != nil && last.RetryAfter > 0 && last.RetryAfter <= maxBackoff {
		return last.RetryAfter
	}
	d := min(c.backoff<<(i-1), maxBackoff)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1) // jitter: between half and all of d
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// build makes the http.Request for one attempt of r.
func (c *Client) build(ctx context.Context, r *request) (*http.Request, error) {
	u := c.base.String() + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if id := RequestID(ctx); id != "" {
		req.Header.Set(RequestIDHeader, id)
	}
	r.cred.apply(req.Header)
	return req, nil
}

// once sends r one time. Every text it returns that came from upstream
// (errors, results, headers, transport errors) has the credential removed
// first: a hostile or broken upstream may echo the token anywhere.
func (c *Client) once(ctx context.Context, r *request, out any) (*ResultInfo, *APIError) {
	fail := func(status int, reason string, err error) *APIError {
		e := &APIError{Method: r.method, Path: r.path, StatusCode: status, Reason: reason, Err: r.redact.err(err)}
		e.classify()
		return e
	}
	req, err := c.build(ctx, r)
	if err != nil {
		return nil, fail(0, "build request", err)
	}

	resp, err := c.http.Do(req)
	if held := heldOf(err); held != nil {
		// Held back by our own transport: nothing came from upstream, and
		// the error must keep its type for errors.Is and errors.As.
		e := &APIError{Method: r.method, Path: r.path, Err: held, RetryAfter: held.RetryAfter}
		e.classify()
		return nil, e
	}
	if err != nil {
		return nil, fail(0, "", transportError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBodySize+1))
	// Drain a little so the connection can be reused; never read unbounded.
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)

	apiErr := &APIError{
		Method: r.method, Path: r.path, StatusCode: resp.StatusCode,
		RayID: rayID(resp.Header.Get("Cf-Ray"), r.redact),
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		apiErr.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	finish := func(reason string, cause error) (*ResultInfo, *APIError) {
		apiErr.Reason, apiErr.Err = r.redact.String(reason), r.redact.err(cause)
		for i := range apiErr.Errors {
			r.redact.info(&apiErr.Errors[i])
		}
		apiErr.classify()
		return nil, apiErr
	}
	switch {
	case err != nil:
		apiErr.StatusCode = 0
		return finish("", transportError(err))
	case int64(len(data)) > c.maxBodySize:
		return finish(fmt.Sprintf("response body larger than %d bytes", c.maxBodySize), nil)
	}

	var env envelope
	decErr := json.Unmarshal(data, &env)
	if decErr == nil {
		apiErr.Errors = env.Errors
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return finish("unexpected redirect (not followed)", nil)
	case resp.StatusCode >= 300 || resp.StatusCode < 200:
		if decErr != nil {
			return finish(describeBody(resp.Header.Get("Content-Type"), data), nil)
		}
		return finish("", nil)
	case decErr != nil:
		return finish(describeBody(resp.Header.Get("Content-Type"), data), nil)
	case env.Success == nil || !*env.Success:
		return finish("success is not true", nil)
	}
	if out != nil {
		if len(env.Result) == 0 || string(env.Result) == "null" {
			return finish("response has no result", nil)
		}
		if err := json.Unmarshal(env.Result, out); err != nil {
			return finish("unexpected result shape", nil)
		}
		r.redact.result(out)
	}
	if env.ResultInfo != nil {
		r.redact.resultInfo(env.ResultInfo)
	}
	return env.ResultInfo, nil
}
