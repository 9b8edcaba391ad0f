package guard

import (
	"fmt"
	"time"
)

// Options tune New and NewTransport; zero values take the defaults. One
// Options value serves both, so the budget given to the process
// (DASHBOARD_UPSTREAM_BUDGET) is the Limit of both.
type Options struct {
	TTL      time.Duration    // how long an answer is reused; default 2s
	Limit    int              // requests per window per credential, reads and writes; default 1200 (Cloudflare's)
	Headroom int              // of Limit, kept for writes; default min(200, Limit/6)
	Window   time.Duration    // default 5m (Cloudflare's)
	Now      func() time.Time // default time.Now
	Budget   Budget           // default a MemoryBudget of Limit, Headroom and Window
	Observer Observer         // told of every attempt and every read, for the metrics; default none

	// The circuit breaker: after BreakerFailures failures in a row (default 5;
	// negative: no breaker) reads of that credential pause for
	// BreakerCoolDown (default 30s), doubled after each failed probe up to
	// BreakerMaxCoolDown (default 5m).
	BreakerFailures    int
	BreakerCoolDown    time.Duration
	BreakerMaxCoolDown time.Duration
}

// WithDefaults returns o with the defaults filled in, as New and
// NewTransport use it, or why o is refused. A Budget built outside the
// guard takes its Limit, Headroom and Window from here.
func (o Options) WithDefaults() (Options, error) { return o.withDefaults() }

// withDefaults fills in the defaults and checks the values.
func (o Options) withDefaults() (Options, error) {
	if o.TTL == 0 {
		o.TTL = 2 * time.Second
	}
	if o.Limit == 0 {
		o.Limit = 1200
	}
	if o.Window == 0 {
		o.Window = 5 * time.Minute
	}
	if o.Headroom == 0 {
		o.Headroom = min(200, o.Limit/6)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BreakerFailures == 0 {
		o.BreakerFailures = 5
	}
	if o.BreakerCoolDown == 0 {
		o.BreakerCoolDown = 30 * time.Second
	}
	if o.BreakerMaxCoolDown == 0 {
		o.BreakerMaxCoolDown = max(5*time.Minute, o.BreakerCoolDown)
	}
	switch {
	case o.Limit <= o.Headroom || o.Headroom < 0:
		return o, fmt.Errorf("guard: the budget (%d) must be larger than the headroom for cancels (%d)", o.Limit, o.Headroom)
	case o.TTL < 0 || o.Window <= 0:
		return o, fmt.Errorf("guard: the answer TTL (%s) must not be negative and the window (%s) must be positive", o.TTL, o.Window)
	case o.BreakerCoolDown < 0 || o.BreakerMaxCoolDown < o.BreakerCoolDown:
		return o, fmt.Errorf("guard: the breaker's cool-down (%s) must not be negative nor longer than its cap (%s)", o.BreakerCoolDown, o.BreakerMaxCoolDown)
	}
	return o, nil
}
