package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// holding is a RoundTripper that holds back every request after the first
// pass ones, as a guard's budget or breaker does.
type holding struct {
	next  http.RoundTripper
	pass  int32
	seen  atomic.Int32
	class error
}

var errTestHold = errors.New("test hold")

func (h *holding) RoundTrip(req *http.Request) (*http.Response, error) {
	if h.seen.Add(1) > h.pass {
		return nil, &apiclient.HeldError{Class: h.class, RetryAfter: 42 * time.Second, Err: errTestHold}
	}
	return h.next.RoundTrip(req)
}

func TestHeldRequestIsClassifiedAndNotRetried(t *testing.T) {
	t.Parallel()
	for _, class := range []error{nil, apiclient.ErrRateLimited, apiclient.ErrUnavailable} {
		h := &holding{next: http.DefaultTransport, class: class}
		c, _ := setup(t, apiclient.WithHTTPClient(&http.Client{Transport: h}))
		_, err := c.GetJob(context.Background(), testCred, testAccount, testJob)
		var apiErr *apiclient.APIError
		if !errors.As(err, &apiErr) || !errors.Is(err, apiclient.ErrHeld) || !errors.Is(err, errTestHold) {
			t.Fatalf("class %v: %v, want an *APIError matching ErrHeld and the reason", class, err)
		}
		if h.seen.Load() != 1 {
			t.Errorf("class %v: a held GET was tried %d times, want 1", class, h.seen.Load())
		}
		if apiErr.RetryAfter != 42*time.Second || apiErr.StatusCode != 0 {
			t.Errorf("class %v: RetryAfter %s, status %d", class, apiErr.RetryAfter, apiErr.StatusCode)
		}
		for _, other := range []error{apiclient.ErrRateLimited, apiclient.ErrUnavailable} {
			if errors.Is(err, other) != (other == class) {
				t.Errorf("class %v: errors.Is(err, %v) = %t", class, other, !(other == class))
			}
		}
		if s := apiclient.Explain(err); s == "" || strings.Contains(s, "Something went wrong") {
			t.Errorf("class %v: Explain = %q", class, s)
		}
	}
}

// holder says the next attempt would be held; the client then neither
// waits for the retry nor sends it.
type holder struct {
	http.RoundTripper
	hold atomic.Bool
}

func (h *holder) WouldHold(*http.Request) bool { return h.hold.Load() }

func TestRetryStopsWhenTheNextAttemptWouldBeHeld(t *testing.T) {
	t.Parallel()
	h := &holder{RoundTripper: http.DefaultTransport}
	c, mux := setup(t, apiclient.WithHTTPClient(&http.Client{Transport: h}), apiclient.WithRetries(2, time.Hour))
	var calls atomic.Int32
	flakyJob := flaky(t, 100, "cancel_new_shape.json", &calls)
	mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, func(w http.ResponseWriter, r *http.Request) {
		h.hold.Store(true) // whatever comes next is held
		flakyJob(w, r)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.GetJob(ctx, testCred, testAccount, testJob)
	var apiErr *apiclient.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GetJob() error = %v, want Cloudflare's 503", err)
	}
	if ctx.Err() != nil {
		t.Error("the client waited an hour's backoff for a retry that would be held")
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}
