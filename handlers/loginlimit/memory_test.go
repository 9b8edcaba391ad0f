package loginlimit

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *testClock { return &testClock{now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// try runs one whole attempt and reports whether it was allowed.
func try(l Limiter, a Attempt, failed bool) (Verdict, bool) {
	if v := l.Check(a); v.Wait > 0 {
		return v, false
	}
	v, done := l.Start(a)
	if done == nil {
		return v, false
	}
	done(failed)
	return v, true
}

func TestLimiterPerAccountAndAddress(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := New(Options{PerAccount: 3, PerAddr: 5, Now: clock.Now})

	// Per account, case and spaces aside.
	for i := range 3 {
		if _, ok := try(l, Attempt{Email: " Ana@Example.com", Addr: "192.0.2.1"}, true); !ok {
			t.Fatalf("failure %d refused", i)
		}
	}
	if v, ok := try(l, Attempt{Email: "ana@example.com", Addr: "192.0.2.2"}, false); ok || v.Wait <= 0 || v.Trusted {
		t.Errorf("4th attempt for one account: allowed=%v %+v", ok, v)
	}

	// IPv6 clients count per /64; successes never count.
	for i := range 20 {
		if _, ok := try(l, Attempt{Email: "ok@example.com", Addr: "2001:db8:1:2::1"}, false); !ok {
			t.Fatalf("success %d refused", i)
		}
	}
	for i := range 5 {
		if _, ok := try(l, Attempt{Email: fmt.Sprintf("u%d@example.com", i), Addr: fmt.Sprintf("2001:db8:1:2::%x", i+1)}, true); !ok {
			t.Fatalf("v6 failure %d refused", i)
		}
	}
	if _, ok := try(l, Attempt{Email: "new@example.com", Addr: "2001:db8:1:2:ffff::9"}, false); ok {
		t.Error("another address of the same /64 was not limited")
	}
	if _, ok := try(l, Attempt{Email: "new@example.com", Addr: "2001:db8:1:3::1"}, false); !ok {
		t.Error("a different /64 was limited")
	}

	// The window passes.
	clock.Advance(16 * time.Minute)
	if _, ok := try(l, Attempt{Email: "ana@example.com", Addr: "2001:db8:1:2::1"}, false); !ok {
		t.Error("refused after the window")
	}
}

func TestLimiterDeviceCookie(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := New(Options{PerAccount: 5, PerAddr: 50, PerDevice: 5, Now: clock.Now})
	const email, addr = "responder@example.com", "192.0.2.7"
	// A stranger locks the account and the shared address.
	for i := range 50 {
		try(l, Attempt{Email: email, Addr: addr}, true)
		try(l, Attempt{Email: fmt.Sprintf("spray%d@example.com", i), Addr: addr}, true)
	}
	if _, ok := try(l, Attempt{Email: email, Addr: "198.51.100.1"}, false); ok {
		t.Fatal("an untrusted client was let through a locked account")
	}
	// The responder's own browser is trusted, from the same address too.
	dev := Attempt{Email: email, Addr: addr, Device: "dev-1"}
	if v, ok := try(l, dev, false); !ok || !v.Trusted {
		t.Fatalf("device cookie refused: allowed=%v %+v", ok, v)
	}
	// Its own failures lock only it; then it counts as untrusted.
	for i := range 5 {
		if v, ok := try(l, dev, true); !ok || !v.Trusted {
			t.Fatalf("device failure %d: allowed=%v %+v", i, ok, v)
		}
	}
	if v, ok := try(l, dev, false); ok || v.Trusted || v.Wait <= 0 {
		t.Errorf("device over its limit: allowed=%v %+v, want refused as untrusted", ok, v)
	}
	if v, ok := try(l, Attempt{Email: email, Addr: addr, Device: "dev-2"}, false); !ok || !v.Trusted {
		t.Errorf("another device cookie of the account was locked too: allowed=%v %+v", ok, v)
	}
	// A locked device on an account nobody else failed goes ahead, untrusted.
	other := Attempt{Email: "viewer@example.com", Addr: "203.0.113.5", Device: "dev-3"}
	for range 5 {
		try(l, other, true)
	}
	if v, ok := try(l, other, false); !ok || v.Trusted {
		t.Errorf("locked device on an unlocked account: allowed=%v %+v, want allowed untrusted", ok, v)
	}
}

func TestLimiterConcurrentSuccessesNeverCount(t *testing.T) {
	t.Parallel()
	l := New(Options{PerAccount: 5, PerAddr: 50, Now: newClock().Now})
	a := Attempt{Email: "responder@example.com", Addr: "192.0.2.1"}
	// Twenty correct logins in flight at once: none refused, none counted.
	var dones []func(bool)
	for i := range 20 {
		v, done := l.Start(a)
		if done == nil {
			t.Fatalf("concurrent check %d refused: %+v", i, v)
		}
		dones = append(dones, done)
	}
	for _, done := range dones {
		done(false)
		done(true) // a second call is ignored
	}
	if n := len(l.keys); n != 0 {
		t.Errorf("successes left %d keys behind", n)
	}
}

func TestLimiterInFlightGuessesOverrunByAtMostTheSlots(t *testing.T) {
	t.Parallel()
	const slots = 3
	l := New(Options{PerAccount: 5, PerAddr: 1000, Now: newClock().Now})
	a := Attempt{Email: "responder@example.com", Addr: "192.0.2.1"}
	failures := 0
	// Guesses arrive in waves of one per slot; each wave starts together.
	for range 10 {
		var dones []func(bool)
		for range slots {
			if _, done := l.Start(a); done != nil {
				dones = append(dones, done)
			}
		}
		for _, done := range dones {
			done(true)
			failures++
		}
	}
	if failures > max(5, slots) {
		t.Errorf("%d guesses were checked, want at most %d", failures, max(5, slots))
	}
	if failures < 5 {
		t.Errorf("only %d guesses were checked, want the limit of 5", failures)
	}
}

func TestLimiterFullEvictsInsteadOfLockingOut(t *testing.T) {
	t.Parallel()
	l := New(Options{PerAccount: 5, PerAddr: 1_000_000, Now: newClock().Now})
	most := 0
	for i := range maxKeys + 100 {
		try(l, Attempt{Email: fmt.Sprintf("spray%d@example.com", i), Addr: "198.51.100.1"}, true)
		most = max(most, len(l.keys))
	}
	if most < maxKeys-1 {
		t.Fatalf("the spray filled only %d keys", most)
	}
	if _, ok := try(l, Attempt{Email: "analyst@example.com", Addr: "192.0.2.77"}, false); !ok {
		t.Error("a full limiter locked out an analyst with no entry")
	}
	if most > maxKeys {
		t.Errorf("limiter held %d keys, over its bound", most)
	}
}
