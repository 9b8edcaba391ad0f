package handlers

import (
	"fmt"
	"testing"
	"time"
)

func TestLoginLimiter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l := NewLoginLimiter(15*time.Minute, 3, 5, clock)

	// Per email, case and spaces aside.
	for i := range 3 {
		if ok, _ := l.Reserve(" Ana@Example.com", "192.0.2.1"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if ok, wait := l.Reserve("ana@example.com", "192.0.2.2"); ok || wait <= 0 {
		t.Errorf("4th attempt for one email: ok=%v wait=%v", ok, wait)
	}
	// A success forgets the email and takes back its own address count.
	l.Succeed("ana@example.com", "192.0.2.1")
	if ok, _ := l.Reserve("ana@example.com", "192.0.2.1"); !ok {
		t.Error("refused after a success")
	}

	// IPv6 clients count per /64.
	for i := range 5 {
		addr := fmt.Sprintf("2001:db8:1:2::%x", i+1)
		if ok, _ := l.Reserve(fmt.Sprintf("u%d@example.com", i), addr); !ok {
			t.Fatalf("v6 attempt %d refused", i)
		}
	}
	if ok, _ := l.Reserve("new@example.com", "2001:db8:1:2:ffff::9"); ok {
		t.Error("another address of the same /64 was not limited")
	}
	if ok, _ := l.Reserve("new@example.com", "2001:db8:1:3::1"); !ok {
		t.Error("a different /64 was limited")
	}

	// Release takes back an attempt that never reached a check.
	l2 := NewLoginLimiter(15*time.Minute, 1, 5, clock)
	l2.Reserve("bo@example.com", "192.0.2.9")
	l2.Release("bo@example.com", "192.0.2.9")
	if ok, _ := l2.Reserve("bo@example.com", "192.0.2.9"); !ok {
		t.Error("a released attempt still counts")
	}

	// The window passes.
	now = now.Add(16 * time.Minute)
	if ok, _ := l.Reserve("ana@example.com", "192.0.2.2"); !ok {
		t.Error("refused after the window")
	}
}

func TestLoginLimiterFullEvictsInsteadOfLockingOut(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	l := NewLoginLimiter(15*time.Minute, 5, 1_000_000, func() time.Time { return now })
	for i := 0; len(l.fails) < maxLimiterKeys; i++ {
		l.Reserve(fmt.Sprintf("spray%d@example.com", i), "198.51.100.1")
	}
	if ok, _ := l.Reserve("analyst@example.com", "192.0.2.77"); !ok {
		t.Error("a full limiter locked out an analyst with no entry")
	}
	if n := len(l.fails); n > maxLimiterKeys {
		t.Errorf("limiter holds %d keys, over its bound", n)
	}
}
