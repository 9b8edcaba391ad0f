package guard

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Why the Transport held a request back. Every *Hold matches one of them.
var (
	// ErrReadBudget: the credential's requests in this window have reached
	// the budget less the headroom kept for cancels; reads wait.
	ErrReadBudget = errors.New("read budget spent")
	// ErrWriteBudget: the credential has used the whole budget in this
	// window; one more request, a cancel included, would be over it.
	ErrWriteBudget = errors.New("request budget spent")
	// ErrBlocked: Cloudflare answered 429 and its Retry-After (or, without
	// one, a whole window) runs. Cloudflare refuses every call of the
	// credential then, so nothing is sent, cancels included.
	ErrBlocked = errors.New("blocked by Cloudflare's rate limit")
	// ErrBreakerOpen: Cloudflare failed several times in a row for the
	// credential, and reads pause for a cool-down. Writes still go.
	ErrBreakerOpen = errors.New("circuit breaker open")
)

// ErrBudgetUnavailable: the Budget could not count the request (a budget
// shared through a database that did not answer), so the Transport did not
// send it. It is no Hold reason: nothing says until when. A Budget that
// would rather send a cancel uncounted than hold it answers for it instead
// of failing (see cmd/dashboard's fleet budget).
var ErrBudgetUnavailable = errors.New("the request budget could not be counted")

// Hold says why a request was held back before it was sent, and until when.
type Hold struct {
	Reason   error     // ErrReadBudget, ErrWriteBudget, ErrBlocked or ErrBreakerOpen
	Until    time.Time // the earliest time it could be sent
	Failures int       // for ErrBreakerOpen: Cloudflare's failures in a row
}

// Error reads like "read budget spent: held until 09:04:10 UTC".
func (h *Hold) Error() string {
	s := fmt.Sprintf("%v: held until %s UTC", h.Reason, h.Until.UTC().Format("15:04:05"))
	if h.Failures > 0 {
		s += fmt.Sprintf(" after %d failures in a row", h.Failures)
	}
	return s
}

// Unwrap returns the Reason.
func (h *Hold) Unwrap() error { return h.Reason }

// Budget counts, per credential key, the requests sent in the current window
// and Cloudflare's blocks. MemoryBudget counts within this process; an
// implementation in a shared database lets a fleet of replicas share one
// budget per credential. A key is a hash (Key), never the secret.
type Budget interface {
	// Take counts one request of key about to be sent at now, when the
	// window has room for it (reads leave the headroom to writes) and no
	// block runs. Otherwise it counts nothing and returns why and until when.
	Take(ctx context.Context, key string, write bool, now time.Time) (*Hold, error)
	// Peek returns what Take would, without counting.
	Peek(ctx context.Context, key string, write bool, now time.Time) (*Hold, error)
	// Block holds every request of key, writes included, until until. A
	// block that already runs longer is kept.
	Block(ctx context.Context, key string, until time.Time) error
}

// MemoryBudget is a Budget for one process: a sliding window of send times
// per key. It is safe for concurrent use.
type MemoryBudget struct {
	limit, reads int
	window       time.Duration

	mu   sync.Mutex
	keys map[string]*usage
}

// usage is one key's recent requests and block.
type usage struct {
	sent       []time.Time // within the window, oldest first
	blockedTil time.Time
}

// maxCreds bounds how many credentials are remembered.
const maxCreds = 10_000

// NewMemoryBudget allows limit requests per window per key, of which reads
// may use limit-headroom.
func NewMemoryBudget(limit, headroom int, window time.Duration) (*MemoryBudget, error) {
	if limit <= headroom || headroom < 0 || window <= 0 {
		return nil, fmt.Errorf("guard: the budget (%d) must be larger than the headroom for cancels (%d)", limit, headroom)
	}
	return &MemoryBudget{limit: limit, reads: limit - headroom, window: window, keys: map[string]*usage{}}, nil
}

// Take implements Budget.
func (b *MemoryBudget) Take(_ context.Context, key string, write bool, now time.Time) (*Hold, error) {
	return b.take(key, write, now, true), nil
}

// Peek implements Budget.
func (b *MemoryBudget) Peek(_ context.Context, key string, write bool, now time.Time) (*Hold, error) {
	return b.take(key, write, now, false), nil
}

// take decides under the lock, so concurrent requests cannot overrun the
// budget, and counts the request when count is set and it may go.
func (b *MemoryBudget) take(key string, write bool, now time.Time, count bool) *Hold {
	b.mu.Lock()
	defer b.mu.Unlock()
	u := b.usage(key, now)
	if now.Before(u.blockedTil) {
		return &Hold{Reason: ErrBlocked, Until: u.blockedTil}
	}
	n, why := b.reads, ErrReadBudget
	if write {
		n, why = b.limit, ErrWriteBudget
	}
	if len(u.sent) >= n {
		// When the n-th newest request leaves the window, one slot is free.
		return &Hold{Reason: why, Until: u.sent[len(u.sent)-n].Add(b.window)}
	}
	if count {
		u.sent = append(u.sent, now)
	}
	return nil
}

// Block implements Budget.
func (b *MemoryBudget) Block(_ context.Context, key string, until time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u := b.keys[key]
	if u == nil { // a key is taken before it is blocked: no sweep needed here
		u = &usage{}
		b.keys[key] = u
	}
	if until.After(u.blockedTil) {
		u.blockedTil = until
	}
	return nil
}

// usage returns key's usage, pruned to the window ending at now. b.mu is held.
func (b *MemoryBudget) usage(key string, now time.Time) *usage {
	u := b.keys[key]
	if u == nil {
		if len(b.keys) >= maxCreds {
			b.sweep(now)
		}
		u = &usage{}
		b.keys[key] = u
	}
	cut := now.Add(-b.window)
	i := 0
	for i < len(u.sent) && !u.sent[i].After(cut) {
		i++
	}
	u.sent = u.sent[i:]
	return u
}

// sweep forgets keys idle for a whole window and not blocked. b.mu is held.
func (b *MemoryBudget) sweep(now time.Time) {
	cut := now.Add(-b.window)
	for k, u := range b.keys {
		if (len(u.sent) == 0 || !u.sent[len(u.sent)-1].After(cut)) && !now.Before(u.blockedTil) {
			delete(b.keys, k)
		}
	}
}
