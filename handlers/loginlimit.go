package handlers

import (
	"sync"
	"time"
)

// LoginLimiter slows down password guessing: after too many failures for one
// email or from one client address within the window, further attempts are
// refused until the window has passed. It is kept in memory, so with several
// replicas each one counts on its own; the limits are per replica.
type LoginLimiter struct {
	mu       sync.Mutex
	window   time.Duration
	perEmail int
	perAddr  int
	now      func() time.Time
	fails    map[string][]time.Time
}

// NewLoginLimiter allows perEmail failures per email and perAddr per client
// address within window.
func NewLoginLimiter(window time.Duration, perEmail, perAddr int, now func() time.Time) *LoginLimiter {
	if now == nil {
		now = time.Now
	}
	return &LoginLimiter{window: window, perEmail: perEmail, perAddr: perAddr, now: now, fails: map[string][]time.Time{}}
}

// Allow reports whether a login attempt may go ahead; when not, it returns how
// long to wait.
func (l *LoginLimiter) Allow(email, addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	wait := max(l.blocked("e:"+email, l.perEmail), l.blocked("a:"+addr, l.perAddr))
	return wait == 0, wait
}

// Fail records a failed attempt.
func (l *LoginLimiter) Fail(email, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range []string{"e:" + email, "a:" + addr} {
		l.fails[k] = append(l.prune(k), now)
	}
	if len(l.fails) > 100_000 { // bound memory under a spray of addresses
		clear(l.fails)
	}
}

// Succeed forgets the email's failures.
func (l *LoginLimiter) Succeed(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, "e:"+email)
}

// blocked returns how long key must wait, 0 when it may try.
func (l *LoginLimiter) blocked(key string, limit int) time.Duration {
	fails := l.prune(key)
	if len(fails) < limit {
		return 0
	}
	return fails[len(fails)-limit].Add(l.window).Sub(l.now())
}

// prune drops failures older than the window.
func (l *LoginLimiter) prune(key string) []time.Time {
	fails := l.fails[key]
	cut := l.now().Add(-l.window)
	i := 0
	for i < len(fails) && !fails[i].After(cut) {
		i++
	}
	fails = fails[i:]
	if len(fails) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = fails
	return fails
}
