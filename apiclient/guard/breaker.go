package guard

import (
	"sync"
	"time"
)

// BreakerState is a credential's circuit breaker state.
type BreakerState int

// The breaker states.
const (
	BreakerClosed   BreakerState = iota // requests go
	BreakerOpen                         // reads are held for the cool-down
	BreakerHalfOpen                     // the cool-down is over: one probe read may go
)

// String returns "closed", "open" or "half-open".
func (s BreakerState) String() string {
	switch s {
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return "closed"
}

// outcome is what one sent request tells the breaker.
type outcome int

const (
	neutral outcome = iota // no answer worth judging: the caller went away, or it was never sent
	success                // Cloudflare answered, whatever the status below 500 (401, 403, 429 included)
	failure                // a 5xx, a timeout or a transport error
)

// breaker is a circuit breaker per credential key. After failures failures in
// a row (a 5xx, a timeout, no answer at all) the key's reads are held for a
// cool-down; then one probe read is let through while the others stay held;
// its success closes the breaker and its failure opens it again for twice as
// long, up to a cap. Writes (a cancel) are always let through, and their
// outcome counts like any other. Any answer below 500 proves that Cloudflare
// answers, so it closes the breaker: a 401 or a 429 is not an outage. The
// state is per process.
type breaker struct {
	failures  int // 0: no breaker
	base, max time.Duration

	mu    sync.Mutex
	circs map[string]*circuit // only keys with a failure since their last success
}

// circuit is one key's failures and cool-down.
type circuit struct {
	fails   int           // in a row
	open    bool          // tripped; the cool-down ends at until
	until   time.Time     //
	cool    time.Duration // the current cool-down
	probing bool          // a probe read is under way
}

func newBreaker(o Options) *breaker {
	return &breaker{failures: max(o.BreakerFailures, 0), base: o.BreakerCoolDown, max: o.BreakerMaxCoolDown, circs: map[string]*circuit{}}
}

// allow decides whether a request of key may go at now. It returns a hold
// for a read the breaker keeps back, and probe when this read is the one
// probe of a half-open breaker; its outcome must be reported through done.
func (b *breaker) allow(key string, write bool, now time.Time) (probe bool, hold *Hold) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.decide(key, write, now, true)
}

// wouldHold reports whether allow would hold a request back, changing nothing.
func (b *breaker) wouldHold(key string, write bool, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, hold := b.decide(key, write, now, false)
	return hold != nil
}

// decide is allow; take says whether a probe's slot is taken. b.mu is held.
func (b *breaker) decide(key string, write bool, now time.Time, take bool) (bool, *Hold) {
	c := b.circs[key]
	switch {
	case b.failures == 0 || c == nil || !c.open || write:
		return false, nil
	case now.Before(c.until):
		return false, &Hold{Reason: ErrBreakerOpen, Until: c.until, Failures: c.fails}
	case c.probing:
		return false, &Hold{Reason: ErrBreakerOpen, Until: now, Failures: c.fails} // until the probe answers
	}
	c.probing = take
	return take, nil
}

// done records the outcome of a request that allow let through; probe is
// what allow said about it.
func (b *breaker) done(key string, o outcome, probe bool, now time.Time) {
	if b.failures == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.circs[key]
	if probe && c != nil {
		c.probing = false
	}
	switch o {
	case neutral:
		return
	case success:
		delete(b.circs, key)
		return
	}
	if c == nil {
		if len(b.circs) >= maxCreds {
			b.sweep(now)
		}
		c = &circuit{}
		b.circs[key] = c
	}
	c.fails++
	switch {
	case c.open && !now.Before(c.until): // a failed probe (or a write after the cool-down)
		c.cool = min(2*c.cool, b.max)
		c.until = now.Add(c.cool)
	case c.open: // a request sent before it opened, or a write: the cool-down stands
	case c.fails >= b.failures:
		c.open, c.cool = true, b.base
		c.until = now.Add(c.cool)
	}
}

// state returns key's state at now.
func (b *breaker) state(key string, now time.Time) BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch c := b.circs[key]; {
	case c == nil || !c.open:
		return BreakerClosed
	case now.Before(c.until):
		return BreakerOpen
	}
	return BreakerHalfOpen
}

// sweep forgets closed circuits, whose failures in a row have not reached the
// threshold. b.mu is held.
func (b *breaker) sweep(now time.Time) {
	for k, c := range b.circs {
		if !c.open || (!c.probing && now.After(c.until.Add(b.max))) {
			delete(b.circs, k)
		}
	}
}
