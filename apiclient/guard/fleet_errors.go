package guard

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// Why a read failed travels with the shared snapshot, so that on a
// follower errors.Is still matches apiclient's classes and the guard's
// reasons, errors.As still finds the *apiclient.APIError (its status,
// Cloudflare's errors, Retry-After) and the *Hold (until when, failures in
// a row), and every sentence the pages make of it reads the same as on the
// leader. The error chain is written layer by layer from the outside in:
// the types the pages look into with their fields, the known sentinels by
// name, any other wrapper by its text, and an unknown innermost error by
// its text and the sentinels it matched. The texts are the errors' own,
// which the client has already redacted; nothing else goes in.

// wireSentinels are the errors a chain is compared with, by name. A name
// this release does not know (a newer one wrote it) becomes its text.
var wireSentinels = map[string]error{
	"bad_request":        apiclient.ErrBadRequest,
	"unauthorized":       apiclient.ErrUnauthorized,
	"forbidden":          apiclient.ErrForbidden,
	"not_found":          apiclient.ErrNotFound,
	"rate_limited":       apiclient.ErrRateLimited,
	"unavailable":        apiclient.ErrUnavailable,
	"invalid_response":   apiclient.ErrInvalidResponse,
	"held":               apiclient.ErrHeld,
	"invalid_id":         apiclient.ErrInvalidID,
	"read_budget":        ErrReadBudget,
	"write_budget":       ErrWriteBudget,
	"blocked":            ErrBlocked,
	"breaker_open":       ErrBreakerOpen,
	"no_fresh":           ErrNoFreshSnapshot,
	"budget_unavailable": ErrBudgetUnavailable,
	"too_many_jobs":      errTooManyJobs,
	"deadline":           context.DeadlineExceeded,
	"canceled":           context.Canceled,
}

// maxWireLayers bounds how deep a chain is written.
const maxWireLayers = 8

// wireErr is an error chain, outermost layer first.
type wireErr []wireLayer

// wireLayer is one error of a chain: Kind says which fields count.
type wireLayer struct {
	Kind string `json:"kind"` // api, held, hold, sentinel, wrap, leaf

	// api: an *apiclient.APIError without its Err (the next layer).
	Method     string                   `json:"method,omitempty"`
	Path       string                   `json:"path,omitempty"`
	Status     int                      `json:"status,omitempty"`
	Errors     []apiclient.ResponseInfo `json:"errors,omitempty"`
	Ray        string                   `json:"ray,omitempty"`
	RetryAfter time.Duration            `json:"retry_after,omitempty"` // api and held
	Reason     string                   `json:"reason,omitempty"`

	Class    string    `json:"class,omitempty"`    // held: the class sentinel's name
	Until    time.Time `json:"until,omitzero"`     // hold
	Failures int       `json:"failures,omitempty"` // hold
	Name     string    `json:"name,omitempty"`     // sentinel
	Text     string    `json:"text,omitempty"`     // sentinel (as a fallback), wrap, leaf
	Is       []string  `json:"is,omitempty"`       // leaf: the sentinels it matched
}

// encodeErr writes err's chain; nil for nil.
func encodeErr(err error) wireErr {
	var w wireErr
	for e := err; e != nil && len(w) < maxWireLayers; {
		if name := sentinelName(e); name != "" {
			return append(w, wireLayer{Kind: "sentinel", Name: name, Text: e.Error()})
		}
		switch t := e.(type) {
		case *apiclient.APIError:
			w = append(w, wireLayer{Kind: "api", Method: t.Method, Path: t.Path, Status: t.StatusCode, Errors: t.Errors,
				Ray: t.RayID, RetryAfter: t.RetryAfter, Reason: t.Reason})
			e = t.Err
			continue
		case *apiclient.HeldError:
			w = append(w, wireLayer{Kind: "held", Class: sentinelName(t.Class), RetryAfter: t.RetryAfter})
			e = t.Err
			continue
		case *Hold:
			w = append(w, wireLayer{Kind: "hold", Until: t.Until, Failures: t.Failures})
			e = t.Reason
			continue
		}
		if u, ok := e.(interface{ Unwrap() error }); ok && u.Unwrap() != nil {
			w = append(w, wireLayer{Kind: "wrap", Text: e.Error()})
			e = u.Unwrap()
			continue
		}
		leaf := wireLayer{Kind: "leaf", Text: e.Error()}
		for name, s := range wireSentinels {
			if errors.Is(e, s) {
				leaf.Is = append(leaf.Is, name)
			}
		}
		slices.Sort(leaf.Is)
		return append(w, leaf)
	}
	return w
}

// sentinelName is the name of a known sentinel, or "".
func sentinelName(err error) string {
	for name, s := range wireSentinels {
		if err == s {
			return name
		}
	}
	return ""
}

// decode rebuilds the chain, innermost layer first; nil for none.
func (w wireErr) decode() error {
	var err error
	for i := len(w) - 1; i >= 0; i-- {
		l := w[i]
		switch l.Kind {
		case "api":
			err = &apiclient.APIError{Method: l.Method, Path: l.Path, StatusCode: l.Status, Errors: l.Errors, RayID: l.Ray,
				RetryAfter: l.RetryAfter, Reason: l.Reason, Err: err}
		case "held":
			err = &apiclient.HeldError{Class: wireSentinels[l.Class], RetryAfter: l.RetryAfter, Err: err}
		case "hold":
			err = &Hold{Reason: err, Until: l.Until, Failures: l.Failures}
		case "sentinel":
			if s, ok := wireSentinels[l.Name]; ok {
				err = s
			} else {
				err = &wireError{text: l.Text}
			}
		case "wrap":
			err = &wireError{text: l.Text, wrapped: err}
		default:
			we := &wireError{text: l.Text}
			for _, name := range l.Is {
				if s, ok := wireSentinels[name]; ok {
					we.is = append(we.is, s)
				}
			}
			err = we
		}
	}
	return err
}

// wireError is an error of a chain that came through the Fleet as text:
// its message, the sentinels it matched, what it wrapped.
type wireError struct {
	text    string
	is      []error
	wrapped error
}

func (e *wireError) Error() string { return e.text }
func (e *wireError) Unwrap() error { return e.wrapped }

// Is matches the sentinels the original matched itself.
func (e *wireError) Is(target error) bool {
	for _, s := range e.is {
		if target == s {
			return true
		}
	}
	return false
}
