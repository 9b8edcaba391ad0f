package store

import (
	"sync"
	"sync/atomic"
	"testing"
)

// A hash made with the earlier defaults (m=64 MiB, t=3, p=2) still verifies.
func TestOldDefaultHashStillVerifies(t *testing.T) {
	old, err := NewHasher(Params{Memory: 64 * 1024, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "correct horse battery staple"
	hash, err := old.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := VerifyPassword(hash, pw); !ok || err != nil {
		t.Fatalf("VerifyPassword(old default hash) = %v, %v", ok, err)
	}
	if !defaultHasher.NeedsRehash(hash) {
		t.Error("an old-parameter hash does not need a rehash")
	}
}

// Concurrent checks never hold more argon2 memory than the pool: a burst of
// logins queues instead of growing the process by 12 MiB per login.
func TestConcurrentChecksShareTheMemoryPool(t *testing.T) {
	h, err := NewHasher(Params{Memory: 8 * 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	// A pool that fits two checks of this size.
	h.mem = newPool(2 * 8 * 1024)
	var inUse, peak atomic.Int64
	h.onAcquire = func(kib int64) {
		n := inUse.Add(kib)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
	}
	h.onRelease = func(kib int64) { inUse.Add(-kib) }
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := h.Verify(hash, "correct horse battery staple"); !ok {
				t.Error("verify failed")
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 2*8*1024 || p == 0 {
		t.Errorf("peak argon2 memory %d KiB, want at most the pool (%d KiB)", p, 2*8*1024)
	}
}
