package apiclient_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/respond/bulkjobs/apiclient"
)

// The request ID goes with every attempt of a call, retries included.
func TestRequestIDSentWithEveryAttempt(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var calls atomic.Int32
	var mu sync.Mutex
	var got []string
	serve := flaky(t, 1, "cancel_new_shape.json", &calls)
	mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get(apiclient.RequestIDHeader))
		mu.Unlock()
		serve(w, r)
	})
	ctx := apiclient.WithRequestID(context.Background(), "3f2a9c1e-req")
	if _, err := c.GetJob(ctx, testCred, testAccount, testJob); err != nil {
		t.Fatalf("GetJob() error = %v", err)
	}
	if len(got) != 2 || got[0] != "3f2a9c1e-req" || got[1] != "3f2a9c1e-req" {
		t.Errorf("X-Request-Id of the attempts = %q, want the ID on both (a 503, then the retry)", got)
	}
}

// An ID that could inject a header line, or is unbounded, is not sent; the
// call goes on without it.
func TestRequestIDRefusedWhenUnsafe(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", "a\r\nX-Evil: 1", "has space", strings.Repeat("a", 65), "é"} {
		c, mux := setup(t)
		var got []string
		mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Values(apiclient.RequestIDHeader)
			serveFile(t, "cancel_new_shape.json")(w, r)
		})
		if _, err := c.GetJob(apiclient.WithRequestID(context.Background(), id), testCred, testAccount, testJob); err != nil {
			t.Fatalf("GetJob() with request ID %q: %v", id, err)
		}
		if len(got) != 0 {
			t.Errorf("request ID %q was sent as %q", id, got)
		}
	}
}
