package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/store/storetest"
)

// budgetStart is the fake clock's start in the budget tests.
var budgetStart = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// twoReplicas opens two stores, each with its own pool, on one new
// database: two replicas sharing it.
func twoReplicas(t *testing.T) (*store.Postgres, *store.Postgres) {
	t.Helper()
	url := storetest.PostgresURL(t)
	keys := newKeyring(t, newKey(t))
	open := func() *store.Postgres {
		s, err := store.OpenPostgres(context.Background(), url, keys)
		if err != nil {
			t.Fatalf("OpenPostgres() error = %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	return open(), open()
}

func newFleetBudget(t *testing.T, p *store.Postgres, limit, headroom int) *store.FleetBudget {
	t.Helper()
	b, err := store.NewFleetBudget(p, limit, headroom, 5*time.Minute)
	if err != nil {
		t.Fatalf("NewFleetBudget() error = %v", err)
	}
	return b
}

// TestFleetBudgetExactAcrossReplicas: two replicas taking at once from one
// credential's budget never both get the last slot. 2×50 reads against 60
// reads' worth: exactly 60 go; then 2×10 cancels against the headroom of
// 10: exactly 10 go.
func TestFleetBudgetExactAcrossReplicas(t *testing.T) {
	t.Parallel()
	a, b := twoReplicas(t)
	budgets := []*store.FleetBudget{newFleetBudget(t, a, 70, 10), newFleetBudget(t, b, 70, 10)}
	const key = "credential-hash"
	takeAll := func(per int, write bool) (allowed, held int64) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, fb := range budgets {
			for i := range per {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					now := budgetStart.Add(time.Duration(i) * time.Millisecond)
					v, err := fb.Take(context.Background(), key, write, now)
					switch {
					case err != nil:
						t.Errorf("Take() error = %v", err)
					case v.Reason == store.BudgetAllowed:
						atomic.AddInt64(&allowed, 1)
					default:
						atomic.AddInt64(&held, 1)
					}
				}()
			}
		}
		close(start)
		wg.Wait()
		return allowed, held
	}
	if got, held := takeAll(50, false); got != 60 || held != 40 {
		t.Errorf("reads allowed = %d, held = %d; want exactly 60 and 40", got, held)
	}
	if got, held := takeAll(10, true); got != 10 || held != 10 {
		t.Errorf("cancels allowed = %d, held = %d; want exactly 10 and 10", got, held)
	}
	u, err := budgets[1].Usage(context.Background(), key, budgetStart.Add(time.Second))
	if err != nil || u.Sent != 70 {
		t.Errorf("Usage() = %+v, %v; want 70 sent", u, err)
	}
}

// TestFleetBudgetHeadroomAndSlidingWindow follows MemoryBudget on a fake
// clock: reads stop at the budget less the headroom, a cancel still goes,
// the hold says when the oldest counted request leaves the window, and the
// window slides.
func TestFleetBudgetHeadroomAndSlidingWindow(t *testing.T) {
	t.Parallel()
	a, b := twoReplicas(t)
	one, other := newFleetBudget(t, a, 4, 1), newFleetBudget(t, b, 4, 1)
	ctx, key := context.Background(), "k"
	at := func(d time.Duration) time.Time { return budgetStart.Add(d) }
	for i, fb := range []*store.FleetBudget{one, other, one} { // 3 reads, a minute apart, alternating replicas
		if v, err := fb.Take(ctx, key, false, at(time.Duration(i)*time.Minute)); err != nil || v.Reason != store.BudgetAllowed {
			t.Fatalf("read %d = %+v, %v; want allowed", i+1, v, err)
		}
	}
	v, err := other.Take(ctx, key, false, at(3*time.Minute))
	if err != nil || v.Reason != store.BudgetReadsSpent || !v.Until.Equal(at(5*time.Minute)) {
		t.Fatalf("4th read = %+v, %v; want reads spent until the first leaves the window (%s)", v, err, at(5*time.Minute))
	}
	if p, err := one.Peek(ctx, key, true, at(3*time.Minute)); err != nil || p.Reason != store.BudgetAllowed {
		t.Fatalf("Peek(cancel) = %+v, %v; want allowed", p, err)
	}
	if v, err := one.Take(ctx, key, true, at(3*time.Minute)); err != nil || v.Reason != store.BudgetAllowed {
		t.Fatalf("cancel in the headroom = %+v, %v; want allowed", v, err)
	}
	v, err = other.Take(ctx, key, true, at(3*time.Minute))
	if err != nil || v.Reason != store.BudgetSpent || !v.Until.Equal(at(5*time.Minute)) {
		t.Fatalf("cancel over the budget = %+v, %v; want all spent until %s", v, err, at(5*time.Minute))
	}
	// The first read leaves the window at 5m; the reads' next slot is the
	// second's, at 6m: the three newest (1m, 2m, the cancel at 3m) fill them.
	if v, err := one.Take(ctx, key, false, at(5*time.Minute-time.Microsecond)); err != nil || v.Reason != store.BudgetReadsSpent {
		t.Errorf("read a microsecond before the window slides = %+v, %v; want held", v, err)
	}
	if v, err := one.Take(ctx, key, false, at(5*time.Minute)); err != nil || v.Reason != store.BudgetReadsSpent || !v.Until.Equal(at(6*time.Minute)) {
		t.Errorf("read as the first leaves = %+v, %v; want held until 6m", v, err)
	}
	if v, err := other.Take(ctx, key, true, at(5*time.Minute)); err != nil || v.Reason != store.BudgetAllowed {
		t.Errorf("cancel as the first leaves = %+v, %v; want allowed", v, err)
	}
	u, err := one.Usage(ctx, key, at(5*time.Minute))
	if err != nil || u.Sent != 4 || !u.BlockedUntil.IsZero() {
		t.Errorf("Usage() = %+v, %v; want 4 sent and no block", u, err)
	}
	if p, err := one.Peek(ctx, key, false, at(20*time.Minute)); err != nil || p.Reason != store.BudgetAllowed {
		t.Errorf("Peek a quiet window later = %+v, %v; want allowed", p, err)
	}
}

// TestFleetBudgetBlockOnlyGrows: a block holds every request of the key on
// every replica until its end, writes included; a shorter one never cuts
// it; other keys are untouched.
func TestFleetBudgetBlockOnlyGrows(t *testing.T) {
	t.Parallel()
	a, b := twoReplicas(t)
	one, other := newFleetBudget(t, a, 10, 2), newFleetBudget(t, b, 10, 2)
	ctx, key := context.Background(), "blocked"
	end := budgetStart.Add(5 * time.Minute)
	if err := one.Block(ctx, key, end); err != nil {
		t.Fatal(err)
	}
	if err := other.Block(ctx, key, budgetStart.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, write := range []bool{false, true} {
		v, err := other.Take(ctx, key, write, budgetStart.Add(2*time.Minute))
		if err != nil || v.Reason != store.BudgetBlocked || !v.Until.Equal(end) {
			t.Errorf("Take(write=%v) during the block = %+v, %v; want blocked until %s", write, v, err, end)
		}
	}
	if v, err := other.Take(ctx, "another", false, budgetStart); err != nil || v.Reason != store.BudgetAllowed {
		t.Errorf("another key = %+v, %v; want allowed", v, err)
	}
	if v, err := one.Take(ctx, key, true, end); err != nil || v.Reason != store.BudgetAllowed {
		t.Errorf("Take at the block's end = %+v, %v; want allowed", v, err)
	}
	if u, err := one.Usage(ctx, key, end); err != nil || !u.BlockedUntil.Equal(end) || u.Sent != 1 {
		t.Errorf("Usage() = %+v, %v; want blocked until %s and 1 sent (held requests are not counted)", u, err, end)
	}
	later := end.Add(10 * time.Minute)
	if err := other.Block(ctx, key, later); err != nil {
		t.Fatal(err)
	}
	if v, err := one.Peek(ctx, key, false, end.Add(time.Minute)); err != nil || v.Reason != store.BudgetBlocked || !v.Until.Equal(later) {
		t.Errorf("after a longer block = %+v, %v; want blocked until %s", v, err, later)
	}
}

// TestFleetBudgetSweeps: the tables stay bounded. A Take a window after the
// last sweep deletes the sends older than two windows and the blocks that
// ended a window ago, and nothing a decision still reads.
func TestFleetBudgetSweeps(t *testing.T) {
	t.Parallel()
	p, _ := openPostgres(t)
	fb := newFleetBudget(t, p, 100, 10)
	ctx := context.Background()
	count := func(table string) int {
		var n int
		if err := p.Pool().QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := range 20 {
		if _, err := fb.Take(ctx, "old", false, budgetStart.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := fb.Block(ctx, "old", budgetStart.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := count("upstream_sends"); n != 20 {
		t.Fatalf("sends before the sweep = %d, want 20", n)
	}
	// 9m: a window after the first sweep; the sends are not yet two windows old.
	if _, err := fb.Take(ctx, "new", false, budgetStart.Add(9*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, m := count("upstream_sends"), count("upstream_blocks"); n != 21 || m != 0 {
		t.Errorf("after a sweep at 9m: %d sends, %d blocks; want 21 (none two windows old) and 0 (ended 8m ago)", n, m)
	}
	if _, err := fb.Take(ctx, "new", false, budgetStart.Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := count("upstream_sends"); n != 2 {
		t.Errorf("after a sweep at 15m: %d sends, want the 2 of key new", n)
	}
}

// TestFleetBudgetFailsWhenTheDatabaseIsGone: every call returns an error,
// never a verdict that would let a request go uncounted.
func TestFleetBudgetFailsWhenTheDatabaseIsGone(t *testing.T) {
	t.Parallel()
	p, _ := openPostgres(t)
	fb := newFleetBudget(t, p, 10, 2)
	_ = p.Close()
	ctx := context.Background()
	if v, err := fb.Take(ctx, "k", true, budgetStart); err == nil {
		t.Errorf("Take() on a closed pool = %+v, nil; want an error", v)
	}
	if v, err := fb.Peek(ctx, "k", false, budgetStart); err == nil {
		t.Errorf("Peek() on a closed pool = %+v, nil; want an error", v)
	}
	if err := fb.Block(ctx, "k", budgetStart); err == nil {
		t.Error("Block() on a closed pool: no error")
	}
}
