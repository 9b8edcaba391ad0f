package guard_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// The Guard on the production wiring: what it serves when the Transport
// holds a read back or Cloudflare fails.

func TestGuardBudgetKeepsHeadroomForCancel(t *testing.T) {
	t.Parallel()
	s := newStack(t, guard.Options{Limit: 10, Headroom: 3}) // 7 reads, then only writes
	start := s.clock.Now()
	ctx := guard.WithStaleMarker(context.Background())
	for i := range 7 {
		if _, err := s.guard.GetJob(ctx, simA, acct, job); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		s.clock.Advance(3 * time.Second) // past the TTL: each read goes upstream
	}
	if n := s.count(simA, "", start); n != 7 {
		t.Fatalf("requests = %d, want 7", n)
	}
	// The budget is spent: the last answer is served, marked stale, saying why.
	got, err := s.guard.GetJob(ctx, simA, acct, job)
	at, why := guard.StaleReason(ctx)
	if err != nil || got == nil || at.IsZero() || !errors.Is(why, guard.ErrReadBudget) || s.count(simA, "", start) != 7 {
		t.Errorf("over budget: %v, %v, stale %v because %v, requests %d", got, err, at, why, s.count(simA, "", start))
	}
	// With nothing cached it says why.
	if _, _, err := s.guard.ListJobs(context.Background(), simA, acct, apiclient.ListJobsOptions{}); !errors.Is(err, guard.ErrReadBudget) {
		t.Errorf("uncached read over budget: %v, want ErrReadBudget", err)
	}
	// A cancel still goes through.
	if _, err := s.guard.CancelJob(context.Background(), simA, acct, job); err != nil || s.count(simA, http.MethodPost, start) != 1 {
		t.Errorf("cancel over the read budget: %v, cancels sent %d", err, s.count(simA, http.MethodPost, start))
	}
	// Another credential is not affected.
	if _, err := s.guard.GetJob(context.Background(), simB, acct, job); err != nil {
		t.Errorf("another credential: %v", err)
	}
	// The window moves on.
	s.clock.Advance(5 * time.Minute)
	if _, _, err := s.guard.ListJobs(context.Background(), simA, acct, apiclient.ListJobsOptions{}); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

func TestGuardHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	s := newStack(t, guard.Options{})
	start := s.clock.Now()
	ctx := guard.WithStaleMarker(context.Background())
	s.guard.GetJob(ctx, simA, acct, job)
	s.clock.Advance(3 * time.Second)
	s.answer(simA, rateLimited(time.Minute))
	got, err := s.guard.GetJob(ctx, simA, acct, job)
	if _, why := guard.StaleReason(ctx); err != nil || got == nil || !errors.Is(why, apiclient.ErrRateLimited) {
		t.Fatalf("429: %v %v, stale because %v", got, err, why)
	}
	s.answer(simA, nil)
	s.clock.Advance(10 * time.Second)
	s.guard.GetJob(ctx, simA, acct, job)
	if n := s.count(simA, "", start); n != 2 {
		t.Errorf("reads during Retry-After sent %d requests", n-2)
	}
	s.clock.Advance(time.Minute)
	if _, err := s.guard.GetJob(context.Background(), simA, acct, job); err != nil || s.count(simA, "", start) != 3 {
		t.Errorf("reads did not resume after Retry-After: %v", err)
	}
}

func TestGuardBudgetHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	s := newStack(t, guard.Options{Limit: 10, Headroom: 3})
	start := s.clock.Now()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.guard.ListJobs(context.Background(), simA, acct, apiclient.ListJobsOptions{Page: i + 1})
		}()
	}
	wg.Wait()
	if n := s.count(simA, "", start); n != 7 {
		t.Errorf("50 concurrent reads sent %d requests, want the budget of 7", n)
	}
}

func TestGuardStaleMarkedForEverySharingCaller(t *testing.T) {
	t.Parallel()
	s := newStack(t, guard.Options{Limit: 4, Headroom: 3}) // one read, then stale answers only
	s.guard.GetJob(context.Background(), simA, acct, job)
	s.clock.Advance(3 * time.Second)
	var wg sync.WaitGroup
	ctxs := make([]context.Context, 5)
	for i := range ctxs {
		ctxs[i] = guard.WithStaleMarker(context.Background())
		wg.Add(1)
		go func() { defer wg.Done(); s.guard.GetJob(ctxs[i], simA, acct, job) }()
	}
	wg.Wait()
	for i, ctx := range ctxs {
		if guard.Stale(ctx).IsZero() {
			t.Errorf("caller %d got a stale answer without the stale mark", i)
		}
	}
}

// An outage is answered with the last good data; a refusal is not.
func TestGuardServesStaleWhenCloudflareFails(t *testing.T) {
	t.Parallel()
	s := newStack(t, guard.Options{})
	s.guard.GetJob(context.Background(), simA, acct, job)
	s.clock.Advance(3 * time.Second)
	s.answer(simA, status(http.StatusBadGateway))
	ctx := guard.WithStaleMarker(context.Background())
	got, err := s.guard.GetJob(ctx, simA, acct, job)
	if _, why := guard.StaleReason(ctx); err != nil || got == nil || !errors.Is(why, apiclient.ErrUnavailable) {
		t.Errorf("502: %v %v, stale because %v", got, err, why)
	}
	s.answer(simA, status(http.StatusForbidden))
	s.clock.Advance(31 * time.Second)
	if _, err := s.guard.GetJob(context.Background(), simA, acct, job); !errors.Is(err, apiclient.ErrForbidden) {
		t.Errorf("403: %v, want the refusal, not an old answer", err)
	}
}
