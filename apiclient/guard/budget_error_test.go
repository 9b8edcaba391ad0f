package guard_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// flakyBudget is a MemoryBudget whose database can go away: while down is
// set, Take and Peek fail as a shared budget does when PostgreSQL does not
// answer.
type flakyBudget struct {
	*guard.MemoryBudget
	down atomic.Bool
}

var errDatabaseGone = errors.New("connection refused")

func (b *flakyBudget) Take(ctx context.Context, key string, write bool, now time.Time) (*guard.Hold, error) {
	if b.down.Load() {
		return nil, errDatabaseGone
	}
	return b.MemoryBudget.Take(ctx, key, write, now)
}

func (b *flakyBudget) Peek(ctx context.Context, key string, write bool, now time.Time) (*guard.Hold, error) {
	if b.down.Load() {
		return nil, errDatabaseGone
	}
	return b.MemoryBudget.Peek(ctx, key, write, now)
}

// A request the Budget cannot count is not sent, retries included, and its
// error says why (ErrBudgetUnavailable) besides the classes the pages and
// the Guard's stale answers go by; the Guard serves the last good answer.
func TestUncountableRequestIsNotSent(t *testing.T) {
	t.Parallel()
	mem, err := guard.NewMemoryBudget(100, 10, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	b := &flakyBudget{MemoryBudget: mem}
	s := newStack(t, guard.Options{Budget: b})
	ctx := context.Background()
	if _, err := s.guard.GetJob(ctx, simA, acct, job); err != nil {
		t.Fatalf("read with the budget up: %v", err)
	}
	s.clock.Advance(time.Minute) // past the answer's TTL
	start := s.clock.Now()
	b.down.Store(true)

	_, err = s.client.GetJob(ctx, simA, acct, job)
	if !errors.Is(err, guard.ErrBudgetUnavailable) || !errors.Is(err, apiclient.ErrHeld) || !errors.Is(err, apiclient.ErrUnavailable) ||
		!errors.Is(err, errDatabaseGone) {
		t.Errorf("read while the budget is down: %v, want ErrBudgetUnavailable, ErrHeld and ErrUnavailable", err)
	}
	if _, err := s.client.CancelJob(ctx, simA, acct, job); !errors.Is(err, guard.ErrBudgetUnavailable) {
		t.Errorf("cancel while the budget is down: %v, want ErrBudgetUnavailable", err)
	}
	stale := guard.WithStaleMarker(ctx)
	if got, err := s.guard.GetJob(stale, simA, acct, job); err != nil || got == nil || guard.Stale(stale).IsZero() {
		t.Errorf("guarded read while the budget is down = %v, %v; want the last answer, marked stale", got, err)
	}
	if n := s.count(simA, "", start); n != 0 {
		t.Errorf("%d requests reached Cloudflare uncounted, want 0", n)
	}
}
