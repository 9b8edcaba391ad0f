package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// FleetBudget counts the requests each Cloudflare credential sends, and
// Cloudflare's Retry-After blocks, in PostgreSQL, so that every replica on
// the database spends one budget per credential: the semantics of
// guard.MemoryBudget (a sliding window of send times per key; reads may use
// the budget less the headroom, writes all of it; a block holds everything
// until it ends and only grows), with the times the callers pass, never the
// database's clock, so fake clocks work and a replica decides by its own
// clock. The guard adapts it in cmd/dashboard; the store does not import
// the guard. A key is a hash of the credential, never the secret.
//
// One row per request counted (upstream_sends), one per blocked key
// (upstream_blocks). Why rows and an advisory lock rather than one row per
// key holding its send times: a Take inserts one small row instead of
// rewriting an array of up to 1200 times, and the lock serializes only the
// Takes of one key, only for the count and the insert. The lock is
// transaction-scoped, so a replica that dies mid-Take never leaves it held.
//
// Clocks: rows leave the window by the reading replica's clock, so replicas
// must keep their clocks in step (NTP); a replica whose clock runs s ahead
// lets the fleet send what the last s of the window sent once more.
type FleetBudget struct {
	db           *Postgres
	limit, reads int
	window       time.Duration

	mu        sync.Mutex
	lastSweep time.Time // by the callers' clock
}

// BudgetReason says why a request may not be sent now.
type BudgetReason int

const (
	// BudgetAllowed: the request may go (Take counted it).
	BudgetAllowed BudgetReason = iota
	// BudgetReadsSpent: the reads' share of the window is spent.
	BudgetReadsSpent
	// BudgetSpent: the whole window is spent; a write would be over it.
	BudgetSpent
	// BudgetBlocked: Cloudflare's Retry-After block runs.
	BudgetBlocked
)

// BudgetVerdict is the answer of Take and Peek. Until is the earliest time
// the request could go; zero when Reason is BudgetAllowed.
type BudgetVerdict struct {
	Reason BudgetReason
	Until  time.Time
}

// BudgetUsage is one key's use of its budget at a moment, for the metrics.
type BudgetUsage struct {
	Sent         int       // requests counted in the window ending at the moment
	BlockedUntil time.Time // zero when the key was never blocked (or the block was swept)
}

// NewFleetBudget allows limit requests per window per key, of which reads
// may use limit-headroom, counted in p's database.
func NewFleetBudget(p *Postgres, limit, headroom int, window time.Duration) (*FleetBudget, error) {
	if p == nil {
		return nil, errors.New("fleet budget: no database")
	}
	if limit <= headroom || headroom < 0 || window <= 0 {
		return nil, fmt.Errorf("fleet budget: the budget (%d) must be larger than the headroom for cancels (%d)", limit, headroom)
	}
	return &FleetBudget{db: p, limit: limit, reads: limit - headroom, window: window}, nil
}

// budgetLockPrefix names the advisory locks of the budget: the lock key is
// hashtextextended of this and the budget key. Other advisory locks of the
// dashboard (MigrateLockID) are fixed numbers; a hash meeting one of them
// would only make the two wait for each other.
const budgetLockPrefix = "upstream budget "

// budgetVerdictSQL decides for key $1 at $2 with the window starting after
// $3, allowing $4 requests; when $5 it also counts the request if it may
// go. The data-modifying CTE runs even though the SELECT does not read it.
// recent holds at most $4 rows, so its oldest is the $4-th newest request:
// when that one leaves the window a slot is free.
const budgetVerdictSQL = `
WITH recent AS (
    SELECT at FROM upstream_sends WHERE key = $1 AND at > $3 ORDER BY at DESC LIMIT $4
), verdict AS (
    SELECT (SELECT until FROM upstream_blocks WHERE key = $1 AND until > $2) AS blocked_until,
           count(*) AS sent, min(at) AS oldest
    FROM recent
), counted AS (
    INSERT INTO upstream_sends (key, at)
    SELECT $1, $2 FROM verdict WHERE $5 AND blocked_until IS NULL AND sent < $4
    RETURNING 1
)
SELECT blocked_until, sent, oldest FROM verdict`

// Take counts one request of key about to be sent at now when the window
// has room for it and no block runs; otherwise it counts nothing and says
// why. Two replicas taking the last slot at once: one gets it.
//
// The lock and the decision go in one batch, which pgx runs as one
// implicit transaction in one round trip: the advisory lock is held from
// the first statement to the end, and the second statement's snapshot is
// taken after the lock was granted, so it sees every row another Take of
// the key committed before.
func (b *FleetBudget) Take(ctx context.Context, key string, write bool, now time.Time) (BudgetVerdict, error) {
	now = pgTime(now)
	n := b.allowed(write)
	batch := &pgx.Batch{}
	batch.Queue(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, budgetLockPrefix+key)
	batch.Queue(budgetVerdictSQL, key, now, now.Add(-b.window), n, true)
	res := b.db.pool.SendBatch(ctx, batch)
	if _, err := res.Exec(); err != nil {
		_ = res.Close()
		return BudgetVerdict{}, fmt.Errorf("fleet budget: lock the credential's count: %w", err)
	}
	v, err := b.scan(res.QueryRow(), write, n)
	if cerr := res.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("fleet budget: count the request: %w", cerr)
	}
	if err != nil {
		return BudgetVerdict{}, err
	}
	b.maybeSweep(ctx, now)
	return v, nil
}

// Peek returns what Take would, without counting or locking.
func (b *FleetBudget) Peek(ctx context.Context, key string, write bool, now time.Time) (BudgetVerdict, error) {
	now = pgTime(now)
	n := b.allowed(write)
	return b.scan(b.db.pool.QueryRow(ctx, budgetVerdictSQL, key, now, now.Add(-b.window), n, false), write, n)
}

// allowed is how many requests of the kind the window allows.
func (b *FleetBudget) allowed(write bool) int {
	if write {
		return b.limit
	}
	return b.reads
}

// scan reads budgetVerdictSQL's row into a verdict.
func (b *FleetBudget) scan(row pgx.Row, write bool, n int) (BudgetVerdict, error) {
	var blocked, oldest *time.Time
	var sent int
	if err := row.Scan(&blocked, &sent, &oldest); err != nil {
		return BudgetVerdict{}, fmt.Errorf("fleet budget: count the request: %w", err)
	}
	switch {
	case blocked != nil:
		return BudgetVerdict{Reason: BudgetBlocked, Until: blocked.UTC()}, nil
	case sent >= n && oldest != nil:
		why := BudgetReadsSpent
		if write {
			why = BudgetSpent
		}
		return BudgetVerdict{Reason: why, Until: oldest.UTC().Add(b.window)}, nil
	}
	return BudgetVerdict{}, nil
}

// Block holds every request of key until until; a block that already runs
// longer is kept.
func (b *FleetBudget) Block(ctx context.Context, key string, until time.Time) error {
	_, err := b.db.pool.Exec(ctx, `INSERT INTO upstream_blocks (key, until) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET until = greatest(upstream_blocks.until, excluded.until)`, key, pgTime(until))
	if err != nil {
		return fmt.Errorf("fleet budget: record the block: %w", err)
	}
	return nil
}

// Usage returns key's requests in the window ending at now and its block,
// without counting anything.
func (b *FleetBudget) Usage(ctx context.Context, key string, now time.Time) (BudgetUsage, error) {
	now = pgTime(now)
	var u BudgetUsage
	var until *time.Time
	err := b.db.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM upstream_sends WHERE key = $1 AND at > $2),
		(SELECT until FROM upstream_blocks WHERE key = $1)`, key, now.Add(-b.window)).Scan(&u.Sent, &until)
	if err != nil {
		return BudgetUsage{}, fmt.Errorf("fleet budget: read the usage: %w", err)
	}
	if until != nil {
		u.BlockedUntil = until.UTC()
	}
	return u, nil
}

// Limits returns the requests allowed per window and, of them, the reads'.
func (b *FleetBudget) Limits() (limit, reads int) { return b.limit, b.reads }

// maybeSweep deletes, at most once per window per process, the sends older
// than two windows and the blocks that ended a window ago. The margin of a
// window keeps the sweep out of every decision even when the replicas'
// clocks differ by less than that. A failed sweep is tried again by the next
// Take; it never fails the Take that ran it.
func (b *FleetBudget) maybeSweep(ctx context.Context, now time.Time) {
	b.mu.Lock()
	due := b.lastSweep.IsZero() || now.Sub(b.lastSweep) >= b.window
	if due {
		b.lastSweep = now
	}
	b.mu.Unlock()
	if !due {
		return
	}
	if err := b.Sweep(ctx, now); err != nil {
		b.mu.Lock()
		b.lastSweep = time.Time{}
		b.mu.Unlock()
	}
}

// Sweep deletes what no decision at now or later reads any more: sends
// older than two windows, blocks that ended over a window ago.
func (b *FleetBudget) Sweep(ctx context.Context, now time.Time) error {
	now = pgTime(now)
	batch := &pgx.Batch{}
	batch.Queue(`DELETE FROM upstream_sends WHERE at <= $1`, now.Add(-2*b.window))
	batch.Queue(`DELETE FROM upstream_blocks WHERE until <= $1`, now.Add(-b.window))
	if err := b.db.pool.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("fleet budget: sweep old rows: %w", err)
	}
	return nil
}
