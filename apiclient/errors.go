package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors for errors.Is. Every error from an API call is an *APIError
// whose Is method matches exactly one of these classes (or none, for an
// unexpected 4xx such as 405, or a request held back for a spent read budget;
// see ErrHeld).
var (
	// ErrBadRequest: Cloudflare refused the request as invalid (HTTP 400 and other
	// unclassified 4xx), for example a cancel of a job that already finished.
	ErrBadRequest = errors.New("apiclient: bad request")
	// ErrUnauthorized: the credential itself was rejected: missing, malformed or
	// invalid (400 code 6003, 401, 403 code 9109).
	ErrUnauthorized = errors.New("apiclient: unauthorized")
	// ErrForbidden: a valid credential without the permission or account access
	// the call needs (403, usually code 10000).
	ErrForbidden = errors.New("apiclient: forbidden")
	// ErrNotFound: no such job (or account) for this credential (404).
	ErrNotFound = errors.New("apiclient: not found")
	// ErrRateLimited: Cloudflare's rate limit blocked the caller (429). See
	// APIError.RetryAfter.
	ErrRateLimited = errors.New("apiclient: rate limited")
	// ErrUnavailable: Cloudflare could not be reached or failed (transport error,
	// timeout, 5xx).
	ErrUnavailable = errors.New("apiclient: upstream unavailable")
	// ErrInvalidResponse: an answer the client cannot trust: not JSON (an HTML
	// page from a proxy), truncated, over the size limit, a redirect, or
	// success:false inside a 2xx.
	ErrInvalidResponse = errors.New("apiclient: invalid response")
)

// Cloudflare error codes the client classifies on (contract 7.4, 7.5, 10).
const (
	codeInvalidHeaders     = 6003
	codeInvalidAccessToken = 9109
	codeRateLimited        = 971
)

// APIError describes one failed API call. It never contains the credential.
type APIError struct {
	Method     string         // HTTP method of the call
	Path       string         // path below the base URL, built from validated IDs
	StatusCode int            // 0 when no response arrived
	Errors     []ResponseInfo // Cloudflare's errors, when the body had them
	RayID      string         // the cf-ray header, for Cloudflare support
	RetryAfter time.Duration  // from Retry-After on 429 (and 503); for a held request, the wait until it could go; else 0
	Reason     string         // what went wrong when there is no Cloudflare error
	Err        error          // underlying transport or decoding error, if any

	class error // one of the sentinels, or nil
}

// Error reads like "apiclient: GET /accounts/…/bulk/…: 404 (1404: bulk job not found)".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiclient: %s %s: ", e.Method, e.Path)
	if e.StatusCode != 0 {
		b.WriteString(strconv.Itoa(e.StatusCode))
	} else {
		b.WriteString("no response")
	}
	if len(e.Errors) > 0 {
		parts := make([]string, 0, len(e.Errors))
		for _, ri := range e.Errors {
			parts = append(parts, fmt.Sprintf("%d: %s", ri.Code, ri.Message))
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, "; "))
	}
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.RayID != "" {
		fmt.Fprintf(&b, " [ray %s]", e.RayID)
	}
	return b.String()
}

// Unwrap exposes the underlying error, so errors.Is(err, context.DeadlineExceeded)
// still works.
func (e *APIError) Unwrap() error { return e.Err }

// Is matches the error's class sentinel. An APIError built by hand (in a
// caller's test, say) is classified from its fields.
func (e *APIError) Is(target error) bool {
	class := e.class
	if class == nil {
		class = e.classOf()
	}
	return target != nil && target == class
}

// HasCode reports whether Cloudflare returned the given error code, at the top
// level or in an error_chain.
func (e *APIError) HasCode(code int) bool {
	var walk func([]ResponseInfo) bool
	walk = func(infos []ResponseInfo) bool {
		for _, ri := range infos {
			if ri.Code == code || walk(ri.ErrorChain) {
				return true
			}
		}
		return false
	}
	return walk(e.Errors)
}

// classify records the error's class sentinel.
func (e *APIError) classify() { e.class = e.classOf() }

// classOf picks the sentinel for an HTTP status and Cloudflare codes, or the
// class a RoundTripper gave a request it held back.
func (e *APIError) classOf() error {
	if held := heldOf(e.Err); held != nil && e.StatusCode == 0 {
		return held.Class
	}
	switch s := e.StatusCode; {
	case s == 0 && e.Reason != "" && e.Err == nil:
		return ErrInvalidResponse
	case s == 0:
		return ErrUnavailable
	case s == http.StatusTooManyRequests || e.HasCode(codeRateLimited):
		return ErrRateLimited
	case s == http.StatusUnauthorized,
		s == http.StatusForbidden && e.HasCode(codeInvalidAccessToken),
		s == http.StatusBadRequest && e.HasCode(codeInvalidHeaders):
		return ErrUnauthorized
	case s == http.StatusForbidden:
		return ErrForbidden
	case s == http.StatusNotFound:
		return ErrNotFound
	case s == http.StatusRequestTimeout, s >= 500:
		return ErrUnavailable
	case s >= 400:
		return ErrBadRequest
	}
	return ErrInvalidResponse // 2xx with success:false, 3xx, 1xx
}

// ParseRetryAfter reads a Retry-After header as seconds or an HTTP date; 0 when
// absent or unreadable. A wait is capped at a day.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

// Explain turns an error from this package into one sentence an analyst can act
// on. It never includes a credential. Callers that know more (a cancel of a job
// that just finished) should say that instead.
func Explain(err error) string {
	var apiErr *APIError
	hasAPI := errors.As(err, &apiErr)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded):
		return "Cloudflare did not answer in time or is unavailable right now; try again shortly."
	case errors.Is(err, ErrInvalidID):
		return "That account or job ID is not valid."
	case errors.Is(err, errNoCredential):
		return "The stored credential is incomplete; add it again on the Credentials page."
	case errors.Is(err, ErrUnauthorized):
		return "Cloudflare rejected the stored credential (invalid, expired or malformed). Update it on the Credentials page."
	case errors.Is(err, ErrForbidden):
		return "The stored credential is valid but lacks the permission for this (Cloud Email Security: Read to view, Write to cancel) or has no access to this account."
	case errors.Is(err, ErrNotFound):
		return "Cloudflare has no such bulk job in this account; it may have been deleted."
	case errors.Is(err, ErrRateLimited) && errors.Is(err, ErrHeld):
		if hasAPI && apiErr.RetryAfter > 0 {
			return "Cloudflare's API rate limit for this credential is reached; nothing is sent with it, cancels included, for another " + HumanDuration(apiErr.RetryAfter) + "."
		}
		return "Cloudflare's API rate limit for this credential is reached; nothing is sent with it, cancels included, for a few minutes."
	case errors.Is(err, ErrRateLimited):
		if hasAPI && apiErr.RetryAfter > 0 {
			return "Cloudflare's API rate limit for this credential is reached; try again in " + HumanDuration(apiErr.RetryAfter) + "."
		}
		return "Cloudflare's API rate limit for this credential is reached; try again in a few minutes."
	case errors.Is(err, ErrUnavailable):
		return "Cloudflare did not answer in time or is unavailable right now; try again shortly."
	case errors.Is(err, ErrInvalidResponse):
		return "Cloudflare sent an answer the dashboard could not read; try again shortly."
	case errors.Is(err, ErrBadRequest):
		if hasAPI && len(apiErr.Errors) > 0 {
			return "Cloudflare refused the request: " + apiErr.Errors[0].Message + "."
		}
		return "Cloudflare refused the request."
	case errors.Is(err, ErrHeld):
		if hasAPI && apiErr.RetryAfter > 0 {
			return "The dashboard held the request back to stay within Cloudflare's rate limit; try again in " + HumanDuration(apiErr.RetryAfter) + "."
		}
		return "The dashboard held the request back to stay within Cloudflare's rate limit; try again shortly."
	}
	return "Something went wrong while talking to Cloudflare; try again shortly."
}

// HumanDuration renders a wait such as "4 minutes 10 seconds".
func HumanDuration(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	m, s := secs/60, secs%60
	unit := func(n int64, word string) string {
		if n == 1 {
			return "1 " + word
		}
		return strconv.FormatInt(n, 10) + " " + word + "s"
	}
	switch {
	case m == 0:
		return unit(s, "second")
	case s == 0:
		return unit(m, "minute")
	}
	return unit(m, "minute") + " " + unit(s, "second")
}
