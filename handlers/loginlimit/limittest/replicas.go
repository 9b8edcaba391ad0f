package limittest

import (
	"fmt"
	"testing"
	"time"

	"github.com/respond/bulkjobs/handlers/loginlimit"
)

// RunReplicas runs the tests of a Limiter shared by several processes: each
// test opens two limiters (two replicas) on one fresh backing store.
func RunReplicas(t *testing.T, fresh func(t *testing.T) Opener) {
	t.Helper()
	run(t, fresh, []test{
		{"FailuresCountOnEveryReplica", testFailuresCountOnEveryReplica},
		{"TrustedDeviceNotLockedOutElsewhere", testTrustedDeviceNotLockedOutElsewhere},
		{"ChecksInProgressArePerReplica", testChecksInProgressArePerReplica},
	})
}

// Failures spread over two replicas add up: the account's limit holds
// across them, the address's too, and the window slides on both.
func testFailuresCountOnEveryReplica(t *testing.T, open Opener) {
	clock := NewClock()
	o := loginlimit.Options{PerAccount: 5, PerAddr: 8, Now: clock.Now}
	one, two := open(o), open(o)
	for i := range 5 {
		l := one
		if i%2 == 1 {
			l = two
		}
		if _, ok := Try(t, l, loginlimit.Attempt{Email: "ana@example.com", Addr: "192.0.2.1"}, true); !ok {
			t.Fatalf("failure %d refused", i+1)
		}
	}
	for name, l := range map[string]loginlimit.Limiter{"first": one, "second": two} {
		if v, ok := Try(t, l, loginlimit.Attempt{Email: "ana@example.com", Addr: "198.51.100.9"}, false); ok || v.Wait <= 0 {
			t.Errorf("%s replica let a 6th untrusted attempt on the account through: %+v", name, v)
		}
	}
	for i := range 3 {
		if _, ok := Try(t, two, loginlimit.Attempt{Email: fmt.Sprintf("u%d@example.com", i), Addr: "192.0.2.1"}, true); !ok {
			t.Fatalf("address failure %d refused", i+6)
		}
	}
	if _, ok := Try(t, one, loginlimit.Attempt{Email: "someone@example.com", Addr: "192.0.2.1"}, false); ok {
		t.Error("the address's 8 failures on two replicas did not limit it")
	}
	clock.Advance(15*time.Minute + time.Second)
	if _, ok := Try(t, one, loginlimit.Attempt{Email: "ana@example.com", Addr: "192.0.2.1"}, false); !ok {
		t.Error("refused after the window")
	}
}

// A stranger's failures on one replica lock the account for untrusted
// browsers on the other, but never the responder's own browser there.
func testTrustedDeviceNotLockedOutElsewhere(t *testing.T, open Opener) {
	clock := NewClock()
	o := loginlimit.Options{PerAccount: 5, PerAddr: 50, PerDevice: 5, Now: clock.Now}
	one, two := open(o), open(o)
	const email = "responder@example.com"
	for range 10 {
		Try(t, one, loginlimit.Attempt{Email: email, Addr: "203.0.113.66"}, true)
	}
	if _, ok := Try(t, two, loginlimit.Attempt{Email: email, Addr: "192.0.2.7"}, false); ok {
		t.Error("an untrusted browser on the other replica was let through a locked account")
	}
	dev := loginlimit.Attempt{Email: email, Addr: "192.0.2.7", Device: "dev-1"}
	if v, ok := Try(t, two, dev, false); !ok || !v.Trusted {
		t.Errorf("the responder's device cookie was locked out by failures elsewhere: allowed=%v %+v", ok, v)
	}
	// The device's own failures count on every replica too.
	for i := range 5 {
		if _, ok := Try(t, one, dev, true); !ok {
			t.Fatalf("device failure %d refused", i+1)
		}
	}
	if v, ok := Try(t, two, dev, false); ok || v.Trusted {
		t.Errorf("a device over its limit on the other replica: allowed=%v %+v, want refused as untrusted", ok, v)
	}
}

// Checks in progress are counted where they run: a replica's checks in
// progress do not hold the other's back, yet the failures they become count
// on both.
func testChecksInProgressArePerReplica(t *testing.T, open Opener) {
	clock := NewClock()
	o := loginlimit.Options{PerAccount: 3, PerAddr: 1000, Now: clock.Now}
	one, two := open(o), open(o)
	a := loginlimit.Attempt{Email: "ana@example.com", Addr: "192.0.2.1"}
	Try(t, one, a, true) // one failure: checks in progress count from now on
	var dones []func(bool)
	for i := range 2 {
		_, done, err := one.Start(t.Context(), a)
		if err != nil || done == nil {
			t.Fatalf("first replica's check %d refused: %v", i+1, err)
		}
		dones = append(dones, done)
	}
	if _, done, err := one.Start(t.Context(), a); err != nil || done != nil {
		t.Fatalf("first replica let a check start beside its failure and two in progress: done=%v, %v", done != nil, err)
	}
	_, done, err := two.Start(t.Context(), a)
	if err != nil || done == nil {
		t.Fatalf("the other replica was held back by checks in progress elsewhere: %v", err)
	}
	for _, d := range append(dones, done) {
		d(true)
	}
	for name, l := range map[string]loginlimit.Limiter{"first": one, "second": two} {
		if _, ok := Try(t, l, a, false); ok {
			t.Errorf("%s replica let an attempt through after 3 failures", name)
		}
	}
}
