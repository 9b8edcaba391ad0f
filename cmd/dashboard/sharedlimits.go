package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/handlers/loginlimit"
	"github.com/respond/bulkjobs/store"
)

// sharedLimits returns the request budget and the login limiter of this
// process. On PostgreSQL both are the fleet's: every replica on the
// database spends one budget per credential (store.FleetBudget) and counts
// every replica's failed logins (loginlimit.Shared on the store's
// login_failures). On SQLite, one process: a MemoryBudget (upstream.Budget
// stays nil, so the Transport makes it) and loginlimit.Memory.
//
// The Options returned go to both guard.NewTransport and guard.New: the
// Transport counts with its Budget and the Guard has none (it counts
// nothing itself), so one budget instance serves the process.
func sharedLimits(st store.Store, upstream guard.Options, logins loginlimit.Options, log *slog.Logger) (guard.Options, loginlimit.Limiter, error) {
	pg, ok := st.(*store.Postgres)
	if !ok {
		return upstream, loginlimit.New(logins), nil
	}
	b, err := newSharedBudget(pg, upstream, log)
	if err != nil {
		return upstream, nil, err
	}
	upstream.Budget = b
	return upstream, loginlimit.NewShared(pg, logins), nil
}

// sharedBudget is the guard.Budget of a replica on PostgreSQL: the
// fleet's count, with this process's MemoryBudget beside it for a cancel
// when PostgreSQL does not answer.
//
// What a database that does not answer does (decided for issue 10):
//   - A read is held, fail closed: Take returns the error, the Transport
//     sends nothing and answers guard.ErrBudgetUnavailable, the Guard
//     serves the last good answer, and the pages say the database did not
//     answer. Reads counted by no one could let the replicas together go
//     over Cloudflare's limit and block every cancel for five minutes.
//   - A cancel is decided by this process alone: it is sent unless this
//     process knows a Retry-After block (every block is also recorded
//     here) or has itself sent the whole budget while the database was
//     away. A cancel is rare, must not wait for the database, and is sent
//     at most once either way (the client never resends a POST, and the
//     job's cancel claim in the database was taken before). It is not
//     counted in the fleet's window: the fleet may go over by the cancels
//     sent during the outage.
type sharedBudget struct {
	fleet *store.FleetBudget
	local *guard.MemoryBudget
	log   *slog.Logger
	// usageDown is when a Usage last failed (UnixNano, real time): a
	// scrape asks once per credential, and while the database does not
	// answer the others fail at once instead of waiting for it each.
	usageDown atomic.Int64
}

// sharedBudgetTimeout bounds one call to PostgreSQL, so that a database
// that hangs leaves a cancel the time to be sent on this process's count.
const sharedBudgetTimeout = 2 * time.Second

// newSharedBudget counts with upstream's Limit, Headroom and Window in p.
func newSharedBudget(p *store.Postgres, upstream guard.Options, log *slog.Logger) (*sharedBudget, error) {
	o, err := upstream.WithDefaults()
	if err != nil {
		return nil, err
	}
	fleet, err := store.NewFleetBudget(p, o.Limit, o.Headroom, o.Window)
	if err != nil {
		return nil, err
	}
	local, err := guard.NewMemoryBudget(o.Limit, o.Headroom, o.Window)
	if err != nil {
		return nil, err
	}
	return &sharedBudget{fleet: fleet, local: local, log: log}, nil
}

var _ guard.Budget = (*sharedBudget)(nil)
var _ guard.UsageReader = (*sharedBudget)(nil)

// Take implements guard.Budget.
func (b *sharedBudget) Take(ctx context.Context, key string, write bool, now time.Time) (*guard.Hold, error) {
	return b.decide(ctx, key, write, now, b.fleet.Take, b.local.Take)
}

// Peek implements guard.Budget.
func (b *sharedBudget) Peek(ctx context.Context, key string, write bool, now time.Time) (*guard.Hold, error) {
	return b.decide(ctx, key, write, now, b.fleet.Peek, b.local.Peek)
}

// decide asks the fleet, and this process for a write the fleet cannot
// answer.
func (b *sharedBudget) decide(ctx context.Context, key string, write bool, now time.Time,
	fleet func(context.Context, string, bool, time.Time) (store.BudgetVerdict, error),
	local func(context.Context, string, bool, time.Time) (*guard.Hold, error)) (*guard.Hold, error) {
	fctx, cancel := context.WithTimeout(ctx, sharedBudgetTimeout)
	v, err := fleet(fctx, key, write, now)
	cancel()
	if err == nil {
		return toHold(v)
	}
	if !write || ctx.Err() != nil {
		return nil, err
	}
	b.log.Warn("the shared request budget did not answer; a cancel is decided by this process's count and blocks",
		"err", err.Error())
	return local(ctx, key, write, now)
}

// Block implements guard.Budget: in the fleet's row and in this process,
// so that a cancel decided here while the database is away knows it.
func (b *sharedBudget) Block(ctx context.Context, key string, until time.Time) error {
	_ = b.local.Block(ctx, key, until) // never fails
	fctx, cancel := context.WithTimeout(ctx, sharedBudgetTimeout)
	defer cancel()
	return b.fleet.Block(fctx, key, until)
}

// Usage implements guard.UsageReader for the metrics: the fleet's count
// and block of the credential (what every replica decides by), not this
// process's share.
func (b *sharedBudget) Usage(ctx context.Context, key string, now time.Time) (guard.Usage, error) {
	if down := b.usageDown.Load(); down != 0 && time.Since(time.Unix(0, down)) < sharedBudgetTimeout {
		return guard.Usage{}, errors.New("shared budget: the database did not answer a moment ago")
	}
	fctx, cancel := context.WithTimeout(ctx, sharedBudgetTimeout)
	defer cancel()
	u, err := b.fleet.Usage(fctx, key, now)
	if err != nil {
		b.usageDown.Store(time.Now().UnixNano())
		return guard.Usage{}, err
	}
	b.usageDown.Store(0)
	limit, reads := b.fleet.Limits()
	return guard.Usage{Sent: u.Sent, Limit: limit, Reads: reads, BlockedUntil: u.BlockedUntil}, nil
}

// toHold turns the store's verdict into the guard's hold; nil: it may go.
func toHold(v store.BudgetVerdict) (*guard.Hold, error) {
	switch v.Reason {
	case store.BudgetAllowed:
		return nil, nil
	case store.BudgetReadsSpent:
		return &guard.Hold{Reason: guard.ErrReadBudget, Until: v.Until}, nil
	case store.BudgetSpent:
		return &guard.Hold{Reason: guard.ErrWriteBudget, Until: v.Until}, nil
	case store.BudgetBlocked:
		return &guard.Hold{Reason: guard.ErrBlocked, Until: v.Until}, nil
	}
	return nil, fmt.Errorf("shared budget: unknown verdict %d", v.Reason)
}
