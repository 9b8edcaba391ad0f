package handlers

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// maxLimiterKeys bounds the limiter's memory. When a spray of addresses or
// emails fills it, expired entries are dropped; if it is still full, a tenth
// of the keys, chosen at random, are forgotten. That lets a huge spray forget
// some of its own counts, but never locks out analysts who have no entry.
const maxLimiterKeys = 100_000

// LoginLimiter slows down password guessing: after too many attempts that did
// not succeed for one email or from one client address within the window,
// further attempts are refused until the window has passed. An attempt is
// counted when it starts (Reserve), so concurrent guesses cannot slip past
// the limit, and forgiven when it succeeds. It is kept in memory, so with
// several replicas each one counts on its own.
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

// Reserve checks and, when allowed, records one attempt for email from addr
// under one lock. It returns false and the wait when the attempt is refused.
// Call Succeed when the attempt succeeds.
func (l *LoginLimiter) Reserve(email, addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ek, ak := emailKey(email), addrKey(addr)
	wait := max(l.blocked(ek, l.perEmail), l.blocked(ak, l.perAddr))
	if wait > 0 {
		return false, wait
	}
	if len(l.fails) >= maxLimiterKeys {
		l.pruneAll()
		for k := range l.fails { // map order is random
			if len(l.fails) < maxLimiterKeys*9/10 {
				break
			}
			delete(l.fails, k)
		}
	}
	now := l.now()
	l.fails[ek] = append(l.fails[ek], now)
	l.fails[ak] = append(l.fails[ak], now)
	return true, 0
}

// Release takes back an attempt that never reached a password check (the
// server was busy, or the client went away).
func (l *LoginLimiter) Release(email, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []string{emailKey(email), addrKey(addr)} {
		if fails := l.fails[k]; len(fails) > 0 {
			l.fails[k] = fails[:len(fails)-1]
			l.prune(k)
		}
	}
}

// Succeed forgets the email's attempts and takes back the address's count
// of this attempt; the address's earlier failures stay, so one valid login
// does not reset a spray from the same address.
func (l *LoginLimiter) Succeed(email, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, emailKey(email))
	ak := addrKey(addr)
	if fails := l.fails[ak]; len(fails) > 0 {
		l.fails[ak] = fails[:len(fails)-1]
		l.prune(ak)
	}
}

// blocked returns how long key must wait, 0 when it may try.
func (l *LoginLimiter) blocked(key string, limit int) time.Duration {
	fails := l.prune(key)
	if len(fails) < limit {
		return 0
	}
	return fails[len(fails)-limit].Add(l.window).Sub(l.now())
}

// prune drops attempts older than the window.
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

// pruneAll drops every expired attempt.
func (l *LoginLimiter) pruneAll() {
	for k := range l.fails {
		l.prune(k)
	}
}

// emailKey normalises an email for counting and bounds its size.
func emailKey(email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(email) > 320 {
		email = email[:320]
	}
	return "e:" + email
}

// addrKey counts IPv6 clients per /64, the block one subscriber usually holds.
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		if len(addr) > 64 {
			addr = addr[:64]
		}
		return "a:" + addr
	}
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return "a:" + p.String()
	}
	return "a:" + a.Unmap().String()
}
