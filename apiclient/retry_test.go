package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// flaky answers 503 for the first n requests, then serves the file.
func flaky(t *testing.T, n int32, file string, calls *atomic.Int32) http.HandlerFunc {
	ok := serveFile(t, file)
	return func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= n {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"success":false,"errors":[{"code":10001,"message":"unavailable"}],"messages":[],"result":null}`))
			return
		}
		ok(w, r)
	}
}

func TestGetRetriesOn5xx(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, flaky(t, 2, "cancel_new_shape.json", &calls))
	if _, err := c.GetJob(context.Background(), testCred, testAccount, testJob); err != nil {
		t.Fatalf("GetJob() error = %v", err)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("requests = %d, want 3", got)
	}
}

func TestGetRetriesAreBounded(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, flaky(t, 100, "cancel_new_shape.json", &calls))
	_, err := c.GetJob(context.Background(), testCred, testAccount, testJob)
	if !errors.Is(err, apiclient.ErrUnavailable) {
		t.Errorf("GetJob() error = %v, want ErrUnavailable", err)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("requests = %d, want 3 (1 + 2 retries)", got)
	}
}

func TestPostAndDeleteAreSentOnce(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var cancels, deletes, creates atomic.Int32
	mux.HandleFunc("POST "+bulkPrefix+"/"+testJob+"/cancel", flaky(t, 1, "cancel_new_shape.json", &cancels))
	mux.HandleFunc("DELETE "+bulkPrefix+"/"+testJob, flaky(t, 1, "cancel_new_shape.json", &deletes))
	mux.HandleFunc("POST "+bulkPrefix, flaky(t, 1, "cancel_new_shape.json", &creates))
	ctx := context.Background()
	if _, err := c.CancelJob(ctx, testCred, testAccount, testJob); !errors.Is(err, apiclient.ErrUnavailable) {
		t.Errorf("CancelJob() error = %v, want ErrUnavailable", err)
	}
	if _, err := c.DeleteJob(ctx, testCred, testAccount, testJob); !errors.Is(err, apiclient.ErrUnavailable) {
		t.Errorf("DeleteJob() error = %v, want ErrUnavailable", err)
	}
	req := apiclient.CreateJobRequest{Action: apiclient.ActionRelease}
	if _, err := c.CreateJob(ctx, testCred, testAccount, req); !errors.Is(err, apiclient.ErrUnavailable) {
		t.Errorf("CreateJob() error = %v, want ErrUnavailable", err)
	}
	for name, n := range map[string]*atomic.Int32{"cancel": &cancels, "delete": &deletes, "create": &creates} {
		if got := n.Load(); got != 1 {
			t.Errorf("%s requests = %d, want 1", name, got)
		}
	}
}

func TestRateLimitIsNotRetried(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "300")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"success":false,"errors":[{"code":971,"message":"Please wait"}],"messages":[],"result":null}`))
	})
	_, err := c.GetJob(context.Background(), testCred, testAccount, testJob)
	var apiErr *apiclient.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, apiclient.ErrRateLimited) || apiErr.RetryAfter != 300*time.Second {
		t.Fatalf("GetJob() error = %v, want ErrRateLimited with RetryAfter 5m", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, apiclient.WithRetries(5, time.Hour))
	var calls atomic.Int32
	mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, flaky(t, 100, "cancel_new_shape.json", &calls))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetJob(ctx, testCred, testAccount, testJob)
	if !errors.Is(err, apiclient.ErrUnavailable) {
		t.Errorf("GetJob() error = %v, want ErrUnavailable", err)
	}
	// The hour-long backoff must be cut short by the context; a generous bound.
	if elapsed := time.Since(start); elapsed > 30*time.Second {
		t.Errorf("GetJob() took %v after its context ended", elapsed)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}

func TestTransportErrorRetried(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var calls atomic.Int32
	ok := serveFile(t, "cancel_new_shape.json")
	mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		ok(w, r)
	})
	if _, err := c.GetJob(context.Background(), testCred, testAccount, testJob); err != nil {
		t.Fatalf("GetJob() error = %v", err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("requests = %d, want 2", got)
	}
}
