package guard

import (
	"context"
	"time"
)

// Usage is one credential's use of its budget at a moment, for the metrics.
type Usage struct {
	Sent         int       // requests counted in the window ending at the moment
	Limit        int       // requests allowed per window, reads and writes
	Reads        int       // of Limit, what reads may use (the rest is the cancels' headroom)
	BlockedUntil time.Time // the end of Cloudflare's Retry-After block; zero or past when none runs
}

// Remaining returns how many more reads and how many more requests of any
// kind (a cancel) the window allows; a running block is not counted here.
func (u Usage) Remaining() (reads, writes int) {
	return max(u.Reads-u.Sent, 0), max(u.Limit-u.Sent, 0)
}

// UsageReader is a Budget that can tell a key's usage without counting or
// changing anything. MemoryBudget is one.
type UsageReader interface {
	Usage(ctx context.Context, key string, now time.Time) (Usage, error)
}

// Usage implements UsageReader. A key never seen has the whole budget.
func (b *MemoryBudget) Usage(_ context.Context, key string, now time.Time) (Usage, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u := Usage{Limit: b.limit, Reads: b.reads}
	if k := b.keys[key]; k != nil {
		cut := now.Add(-b.window)
		for _, at := range k.sent {
			if at.After(cut) {
				u.Sent++
			}
		}
		u.BlockedUntil = k.blockedTil
	}
	return u, nil
}

// Usage returns the budget usage of the credential whose Key is key, when
// the Transport's Budget is a UsageReader.
func (t *Transport) Usage(ctx context.Context, key string) (Usage, bool) {
	r, ok := t.budget.(UsageReader)
	if !ok {
		return Usage{}, false
	}
	u, err := r.Usage(ctx, key, t.now())
	return u, err == nil
}

// Now is the Transport's clock (the metrics compute ages with it).
func (t *Transport) Now() time.Time { return t.now() }
