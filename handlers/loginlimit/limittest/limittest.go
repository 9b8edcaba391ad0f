// Package limittest is the behavioural test suite every loginlimit.Limiter
// passes (Memory, and Shared on each FailureStore), and the replica tests
// that a Limiter shared by several processes passes:
//
//	func TestMemorySuite(t *testing.T) { limittest.Run(t, memoryOpener) }
//
// Run calls fresh once per test for a new, empty backing store and opens
// limiters on it through the Opener it returns: once for the suite's tests,
// twice (two replicas) for RunReplicas'.
package limittest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/handlers/loginlimit"
)

// Opener opens a limiter with o on one backing store, as another process
// would. o.Now is always set (a test clock).
type Opener func(o loginlimit.Options) loginlimit.Limiter

// Clock is a settable clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at 2026-11-28 09:00 UTC.
func NewClock() *Clock { return &Clock{now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Try runs one whole attempt as the handlers do and reports whether it was
// allowed to check its password; failed is the check's outcome.
func Try(t testing.TB, l loginlimit.Limiter, a loginlimit.Attempt, failed bool) (loginlimit.Verdict, bool) {
	t.Helper()
	if v, err := l.Check(t.Context(), a); err != nil || v.Wait > 0 {
		if err != nil {
			t.Fatalf("Check(%+v) error = %v", a, err)
		}
		return v, false
	}
	v, done, err := l.Start(t.Context(), a)
	if err != nil {
		t.Fatalf("Start(%+v) error = %v", a, err)
	}
	if done == nil {
		return v, false
	}
	done(failed)
	return v, true
}

type test struct {
	name string
	run  func(t *testing.T, open Opener)
}

// Run runs the suite, each test in parallel on a fresh backing store.
func Run(t *testing.T, fresh func(t *testing.T) Opener) {
	t.Helper()
	run(t, fresh, []test{
		{"PerAccountAndAddress", testPerAccountAndAddress},
		{"DeviceCookie", testDeviceCookie},
		{"ConcurrentSuccessesNeverCount", testConcurrentSuccessesNeverCount},
		{"InFlightGuessesOverrunByAtMostTheSlots", testInFlightGuesses},
	})
}

func run(t *testing.T, fresh func(t *testing.T) Opener, tests []test) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, fresh(t))
		})
	}
}

func testPerAccountAndAddress(t *testing.T, open Opener) {
	clock := NewClock()
	l := open(loginlimit.Options{PerAccount: 3, PerAddr: 5, Now: clock.Now})

	// Per account, case and spaces aside.
	for i := range 3 {
		if _, ok := Try(t, l, loginlimit.Attempt{Email: " Ana@Example.com", Addr: "192.0.2.1"}, true); !ok {
			t.Fatalf("failure %d refused", i)
		}
	}
	if v, ok := Try(t, l, loginlimit.Attempt{Email: "ana@example.com", Addr: "192.0.2.2"}, false); ok || v.Wait <= 0 || v.Trusted {
		t.Errorf("4th attempt for one account: allowed=%v %+v", ok, v)
	}

	// IPv6 clients count per /64; successes never count.
	for i := range 20 {
		if _, ok := Try(t, l, loginlimit.Attempt{Email: "ok@example.com", Addr: "2001:db8:1:2::1"}, false); !ok {
			t.Fatalf("success %d refused", i)
		}
	}
	for i := range 5 {
		if _, ok := Try(t, l, loginlimit.Attempt{Email: fmt.Sprintf("u%d@example.com", i), Addr: fmt.Sprintf("2001:db8:1:2::%x", i+1)}, true); !ok {
			t.Fatalf("v6 failure %d refused", i)
		}
	}
	if _, ok := Try(t, l, loginlimit.Attempt{Email: "new@example.com", Addr: "2001:db8:1:2:ffff::9"}, false); ok {
		t.Error("another address of the same /64 was not limited")
	}
	if _, ok := Try(t, l, loginlimit.Attempt{Email: "new@example.com", Addr: "2001:db8:1:3::1"}, false); !ok {
		t.Error("a different /64 was limited")
	}

	// The window passes.
	clock.Advance(16 * time.Minute)
	if _, ok := Try(t, l, loginlimit.Attempt{Email: "ana@example.com", Addr: "2001:db8:1:2::1"}, false); !ok {
		t.Error("refused after the window")
	}
}

func testDeviceCookie(t *testing.T, open Opener) {
	clock := NewClock()
	l := open(loginlimit.Options{PerAccount: 5, PerAddr: 50, PerDevice: 5, Now: clock.Now})
	const email, addr = "responder@example.com", "192.0.2.7"
	// A stranger locks the account and the shared address.
	for i := range 50 {
		Try(t, l, loginlimit.Attempt{Email: email, Addr: addr}, true)
		Try(t, l, loginlimit.Attempt{Email: fmt.Sprintf("spray%d@example.com", i), Addr: addr}, true)
	}
	if _, ok := Try(t, l, loginlimit.Attempt{Email: email, Addr: "198.51.100.1"}, false); ok {
		t.Fatal("an untrusted client was let through a locked account")
	}
	// The responder's own browser is trusted, from the same address too.
	dev := loginlimit.Attempt{Email: email, Addr: addr, Device: "dev-1"}
	if v, ok := Try(t, l, dev, false); !ok || !v.Trusted {
		t.Fatalf("device cookie refused: allowed=%v %+v", ok, v)
	}
	// Its own failures lock only it; then it counts as untrusted.
	for i := range 5 {
		if v, ok := Try(t, l, dev, true); !ok || !v.Trusted {
			t.Fatalf("device failure %d: allowed=%v %+v", i, ok, v)
		}
	}
	if v, ok := Try(t, l, dev, false); ok || v.Trusted || v.Wait <= 0 {
		t.Errorf("device over its limit: allowed=%v %+v, want refused as untrusted", ok, v)
	}
	if v, ok := Try(t, l, loginlimit.Attempt{Email: email, Addr: addr, Device: "dev-2"}, false); !ok || !v.Trusted {
		t.Errorf("another device cookie of the account was locked too: allowed=%v %+v", ok, v)
	}
	// A locked device on an account nobody else failed goes ahead, untrusted.
	other := loginlimit.Attempt{Email: "viewer@example.com", Addr: "203.0.113.5", Device: "dev-3"}
	for range 5 {
		Try(t, l, other, true)
	}
	if v, ok := Try(t, l, other, false); !ok || v.Trusted {
		t.Errorf("locked device on an unlocked account: allowed=%v %+v, want allowed untrusted", ok, v)
	}
}

func testConcurrentSuccessesNeverCount(t *testing.T, open Opener) {
	l := open(loginlimit.Options{PerAccount: 5, PerAddr: 50, Now: NewClock().Now})
	a := loginlimit.Attempt{Email: "responder@example.com", Addr: "192.0.2.1"}
	// Twenty correct logins in flight at once: none refused, none counted.
	var dones []func(bool)
	for i := range 20 {
		v, done, err := l.Start(t.Context(), a)
		if err != nil || done == nil {
			t.Fatalf("concurrent check %d refused: %+v, %v", i, v, err)
		}
		dones = append(dones, done)
	}
	for _, done := range dones {
		done(false)
		done(true) // a second call is ignored
	}
	for i := range 20 {
		if _, ok := Try(t, l, a, false); !ok {
			t.Fatalf("login %d after the successes refused", i)
		}
	}
}

func testInFlightGuesses(t *testing.T, open Opener) {
	const slots = 3
	l := open(loginlimit.Options{PerAccount: 5, PerAddr: 1000, Now: NewClock().Now})
	a := loginlimit.Attempt{Email: "responder@example.com", Addr: "192.0.2.1"}
	failures := 0
	// Guesses arrive in waves of one per slot; each wave starts together.
	for range 10 {
		var dones []func(bool)
		for range slots {
			if _, done, err := l.Start(t.Context(), a); err != nil {
				t.Fatal(err)
			} else if done != nil {
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
