package guard_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// poll reads as an analyst's open tabs do: the job, its messages, the list.
func poll(s *stack, ctx context.Context, cred apiclient.Credential) error {
	_, err1 := s.guard.GetJob(ctx, cred, acct, job)
	_, _, err2 := s.guard.ListJobMessages(ctx, cred, acct, job, apiclient.ListJobMessagesOptions{})
	_, _, err3 := s.guard.ListJobs(ctx, cred, acct, apiclient.ListJobsOptions{})
	return errors.Join(err1, err2, err3)
}

// Five minutes of reads behind a Cloudflare that fails every request: the
// client resends each failed GET twice, and every attempt counts, so the
// upstream sees no more than the reads' share of the budget, and the
// headroom is still there for a cancel.
func TestStormStaysWithinTheBudget(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		answer  func(w http.ResponseWriter, r *http.Request) bool
		breaker int
	}{
		{"5xx", status(http.StatusServiceUnavailable), -1},
		{"dropped connections", drop, -1},
		{"5xx with the breaker", status(http.StatusBadGateway), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, guard.Options{Limit: 60, Headroom: 10, BreakerFailures: tt.breaker})
			start := s.clock.Now()
			s.answer(simA, tt.answer)
			for s.clock.Now().Before(start.Add(5 * time.Minute)) {
				poll(s, context.Background(), simA)
				s.clock.Advance(time.Second)
			}
			reads := s.count(simA, http.MethodGet, start)
			if reads > 50 {
				t.Errorf("upstream GETs in 5 minutes = %d, want at most 50 of a budget of 60", reads)
			}
			if tt.breaker < 0 && reads < 50 {
				t.Errorf("upstream GETs = %d, want the whole read share (50) used", reads)
			}
			if _, err := s.guard.CancelJob(context.Background(), simA, acct, job); errors.Is(err, apiclient.ErrHeld) {
				t.Errorf("a cancel after the storm was held back: %v", err)
			}
			if n := s.count(simA, "", start); n > 60 {
				t.Errorf("upstream requests = %d, want at most 60", n)
			}
			t.Logf("%s: %d GETs, %d requests in all", tt.name, reads, s.count(simA, "", start))
		})
	}
}

// A 429 with Retry-After: 300 stops every request of that credential for 300
// s; another analyst's reads go on.
func TestStormOf429BlocksOnlyThatCredential(t *testing.T) {
	t.Parallel()
	s := newStack(t, guard.Options{})
	start := s.clock.Now()
	s.answer(simA, rateLimited(300*time.Second))
	for s.clock.Now().Before(start.Add(300 * time.Second)) {
		poll(s, context.Background(), simA)
		if err := poll(s, context.Background(), simB); err != nil {
			t.Fatalf("the other credential at %s: %v", s.clock.Now().Sub(start), err)
		}
		s.clock.Advance(5 * time.Second)
	}
	if n := s.count(simA, "", start); n != 1 {
		t.Errorf("requests of the blocked credential in 300 s = %d, want 1 (the one answered 429)", n)
	}
	if n := s.count(simB, "", start); n == 0 {
		t.Error("the other credential sent nothing")
	}
	s.answer(simA, nil)
	if err := poll(s, context.Background(), simA); err != nil {
		t.Errorf("after the block: %v", err)
	}
	if n := s.count(simA, "", start); n != 4 {
		t.Errorf("requests after the block = %d, want the 3 reads", n-1)
	}
}

// Cloudflare refuses every call during its block, so a cancel then is not
// sent: it comes back at once as rate limited, with the wait left.
func TestCancelDuringABlockIsNotSent(t *testing.T) {
	t.Parallel()
	s := newStack(t, guard.Options{})
	start := s.clock.Now()
	s.answer(simA, rateLimited(300*time.Second))
	s.guard.GetJob(context.Background(), simA, acct, job)
	s.clock.Advance(100 * time.Second)
	_, err := s.guard.CancelJob(context.Background(), simA, acct, job)
	var apiErr *apiclient.APIError
	if !errors.Is(err, apiclient.ErrRateLimited) || !errors.Is(err, apiclient.ErrHeld) || !errors.As(err, &apiErr) {
		t.Fatalf("cancel during the block: %v, want ErrRateLimited and ErrHeld", err)
	}
	if apiErr.RetryAfter != 200*time.Second {
		t.Errorf("RetryAfter = %s, want the 200 s left", apiErr.RetryAfter)
	}
	if n := s.count(simA, http.MethodPost, start); n != 0 {
		t.Errorf("cancels sent during the block = %d, want 0", n)
	}
}

// A 429 on a cancel blocks the credential's reads too; without Retry-After
// the block lasts a window.
func TestRateLimitedCancelBlocksTheCredential(t *testing.T) {
	t.Parallel()
	s := newStack(t, guard.Options{})
	start := s.clock.Now()
	s.answer(simA, rateLimited(0))
	if _, err := s.guard.CancelJob(context.Background(), simA, acct, job); !errors.Is(err, apiclient.ErrRateLimited) || errors.Is(err, apiclient.ErrHeld) {
		t.Fatalf("cancel answered 429: %v", err)
	}
	s.answer(simA, nil)
	s.clock.Advance(5*time.Minute - time.Second)
	if _, err := s.guard.GetJob(context.Background(), simA, acct, job); !errors.Is(err, apiclient.ErrRateLimited) || !errors.Is(err, guard.ErrBlocked) {
		t.Errorf("read 1 s before the window ends: %v, want held for the block", err)
	}
	s.clock.Advance(time.Second)
	if _, err := s.guard.GetJob(context.Background(), simA, acct, job); err != nil {
		t.Errorf("read after the window: %v", err)
	}
	if n := s.count(simA, "", start); n != 2 {
		t.Errorf("requests = %d, want the cancel and the last read", n)
	}
}

// Every attempt counts: a GET the client resends twice uses three requests
// of the budget, and a retry that would be over it is neither waited for nor
// sent; the caller gets Cloudflare's last answer.
func TestRetriesCountAndStopAtTheBudget(t *testing.T) {
	t.Parallel()
	s := newStack(t, guard.Options{Limit: 10, Headroom: 3, BreakerFailures: -1}) // 7 requests for reads
	start := s.clock.Now()
	s.answer(simA, status(http.StatusInternalServerError))
	slow, err := apiclient.New(apiclient.WithBaseURL(s.client.BaseURL()), apiclient.WithRetries(2, time.Hour),
		apiclient.WithHTTPClient(&http.Client{Transport: s.tr}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 2 {
		if _, err := s.client.GetJob(ctx, simA, acct, job); !errors.Is(err, apiclient.ErrUnavailable) {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if n := s.count(simA, "", start); n != 6 {
		t.Fatalf("two failing reads sent %d requests, want 6", n)
	}
	// One slot left: the first attempt goes, the retry (an hour's backoff
	// away) is not waited for.
	_, err = slow.GetJob(ctx, simA, acct, job)
	var apiErr *apiclient.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusInternalServerError || errors.Is(err, apiclient.ErrHeld) {
		t.Errorf("read at the budget's end: %v, want Cloudflare's 500", err)
	}
	if ctx.Err() != nil {
		t.Error("the client waited for a retry that could not be sent")
	}
	if n := s.count(simA, "", start); n != 7 {
		t.Errorf("requests = %d, want 7", n)
	}
}

// The client's error for a held request says which hold it was.
func TestHeldRequestsAreClassified(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	s := newStack(t, guard.Options{Limit: 2, Headroom: 1})
	s.client.GetJob(ctx, simA, acct, job)
	_, err := s.client.GetJob(ctx, simA, acct, job)
	if !errors.Is(err, guard.ErrReadBudget) || !errors.Is(err, apiclient.ErrHeld) ||
		errors.Is(err, apiclient.ErrUnavailable) || errors.Is(err, apiclient.ErrRateLimited) {
		t.Errorf("read over the budget: %v, want ErrReadBudget and ErrHeld only", err)
	}
	var apiErr *apiclient.APIError
	if !errors.As(err, &apiErr) || apiErr.RetryAfter != 5*time.Minute {
		t.Errorf("read over the budget: RetryAfter %v, want the 5 minutes until a slot is free", apiErr)
	}
	if _, err := s.client.CancelJob(ctx, simA, acct, job); err != nil {
		t.Errorf("a cancel in the headroom: %v", err)
	}
	if _, err := s.client.CancelJob(ctx, simA, acct, job); !errors.Is(err, guard.ErrWriteBudget) || !errors.Is(err, apiclient.ErrRateLimited) {
		t.Errorf("a cancel over the whole budget: %v, want ErrWriteBudget and ErrRateLimited", err)
	}

	s = newStack(t, guard.Options{BreakerFailures: 1})
	s.answer(simA, status(http.StatusBadGateway))
	s.client.GetJob(ctx, simA, acct, job)
	_, err = s.client.GetJob(ctx, simA, acct, job)
	var hold *guard.Hold
	if !errors.Is(err, guard.ErrBreakerOpen) || !errors.Is(err, apiclient.ErrUnavailable) || !errors.Is(err, apiclient.ErrHeld) ||
		!errors.As(err, &hold) || hold.Failures != 1 || !hold.Until.Equal(s.clock.Now().Add(30*time.Second)) {
		t.Errorf("read with the breaker open: %v (%+v), want ErrBreakerOpen, ErrUnavailable and ErrHeld", err, hold)
	}
	if got := apiclient.Explain(err); got == "" {
		t.Error("no sentence for a held read")
	}
}
