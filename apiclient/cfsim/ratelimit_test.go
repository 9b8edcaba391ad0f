package cfsim

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type rlHeaders struct {
	Status     int
	RateLimit  string
	Policy     string
	RetryAfter string
}

func (ts *tsim) rateCall(token string) (rlHeaders, tEnvelope) {
	rec := ts.do("GET", jobsPath(acct), "", "Authorization", "Bearer "+token)
	return rlHeaders{
		Status:     rec.Code,
		RateLimit:  rec.Header().Get("Ratelimit"),
		Policy:     rec.Header().Get("Ratelimit-Policy"),
		RetryAfter: rec.Header().Get("Retry-After"),
	}, decodeEnv(ts.t, rec.Body.Bytes())
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	ts := newSim(t, func(c *Config) {
		c.RateLimit, c.RateWindow, c.RateBlock = 5, time.Minute, 5*time.Minute
	})
	policy := `"default";q=5;w=60`
	for i := 1; i <= 5; i++ {
		ts.clock.Advance(time.Second)
		got, _ := ts.rateCall(readTok)
		want := rlHeaders{Status: 200, RateLimit: fmt.Sprintf(`"default";r=%d;t=%d`, 5-i, 60-(i-1)), Policy: policy}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("request %d (-want +got):\n%s", i, diff)
		}
	}
	got, env := ts.rateCall(readTok)
	want := rlHeaders{Status: 429, RateLimit: `"default";r=0;t=300`, Policy: policy, RetryAfter: "300"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("6th request (-want +got):\n%s", diff)
	}
	wantErr := []tError{{Code: 971, Message: "Please wait and consider throttling your request speed"}}
	if diff := cmp.Diff(wantErr, env.Errors); diff != "" {
		t.Errorf("6th request errors (-want +got):\n%s", diff)
	}

	// Other principals are not blocked; unauthenticated requests are not counted.
	if got, _ := ts.rateCall(writeTok); got.Status != 200 {
		t.Errorf("other principal = %d, want 200", got.Status)
	}
	if rec := ts.do("GET", jobsPath(acct), ""); rec.Header().Get("Ratelimit") != "" {
		t.Errorf("unauthenticated answer has Ratelimit %q, want none", rec.Header().Get("Ratelimit"))
	}

	// Blocked until the clock passes the block, rounding Retry-After up.
	ts.clock.Advance(299*time.Second + 500*time.Millisecond)
	got, _ = ts.rateCall(readTok)
	want = rlHeaders{Status: 429, RateLimit: `"default";r=0;t=1`, Policy: policy, RetryAfter: "1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request at the end of the block (-want +got):\n%s", diff)
	}
	ts.clock.Advance(500 * time.Millisecond)
	got, _ = ts.rateCall(readTok)
	want = rlHeaders{Status: 200, RateLimit: `"default";r=4;t=60`, Policy: policy}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request after the block (-want +got):\n%s", diff)
	}
}

func TestRateLimitWindowResets(t *testing.T) {
	t.Parallel()
	ts := newSim(t, func(c *Config) { c.RateLimit, c.RateWindow = 3, 10*time.Second })
	for range 3 {
		if got, _ := ts.rateCall(readTok); got.Status != 200 {
			t.Fatalf("status = %d, want 200", got.Status)
		}
	}
	ts.clock.Advance(10 * time.Second)
	for i := range 3 {
		if got, _ := ts.rateCall(readTok); got.Status != 200 {
			t.Fatalf("request %d of the new window = %d, want 200", i+1, got.Status)
		}
	}
	if got, _ := ts.rateCall(readTok); got.Status != http.StatusTooManyRequests {
		t.Errorf("4th request of the new window = %d, want 429", got.Status)
	}
}

func TestRateLimitDefaults(t *testing.T) {
	t.Parallel()
	ts := newSim(t, func(c *Config) { c.RateLimit = 0 })
	got, _ := ts.rateCall(readTok)
	want := rlHeaders{Status: 200, RateLimit: `"default";r=1199;t=300`, Policy: `"default";q=1200;w=300`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first request (-want +got):\n%s", diff)
	}
}

func TestRateLimitCountsForbiddenRequests(t *testing.T) {
	t.Parallel()
	ts := newSim(t, func(c *Config) { c.RateLimit = 2 })
	for range 2 {
		// The other principal has no permission on acct: 403, still counted.
		if got, _ := ts.rateCall(otherTok); got.Status != http.StatusForbidden || got.RateLimit == "" {
			t.Fatalf("forbidden request = %+v, want 403 with Ratelimit", got)
		}
	}
	if got, _ := ts.rateCall(otherTok); got.Status != http.StatusTooManyRequests {
		t.Errorf("3rd request = %d, want 429", got.Status)
	}
}
