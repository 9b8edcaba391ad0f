package loginlimit

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// The behaviour Memory shares with Shared is tested by the suite in
// limittest (suite_test.go); these tests look at Memory's own map.

// try runs one whole attempt and reports whether it was allowed.
func try(l Limiter, a Attempt, failed bool) (Verdict, bool) {
	ctx := context.Background()
	if v, _ := l.Check(ctx, a); v.Wait > 0 {
		return v, false
	}
	v, done, _ := l.Start(ctx, a)
	if done == nil {
		return v, false
	}
	done(failed)
	return v, true
}

func fixedNow() time.Time { return time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC) }

func TestMemorySuccessesLeaveNothingBehind(t *testing.T) {
	t.Parallel()
	l := New(Options{PerAccount: 5, PerAddr: 50, Now: fixedNow})
	a := Attempt{Email: "responder@example.com", Addr: "192.0.2.1"}
	var dones []func(bool)
	for range 20 {
		_, done, _ := l.Start(context.Background(), a)
		dones = append(dones, done)
	}
	for _, done := range dones {
		done(false)
	}
	if n := len(l.keys); n != 0 {
		t.Errorf("successes left %d keys behind", n)
	}
}

func TestLimiterFullEvictsInsteadOfLockingOut(t *testing.T) {
	t.Parallel()
	l := New(Options{PerAccount: 5, PerAddr: 1_000_000, Now: fixedNow})
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
