package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/respond/bulkjobs/store"
)

func init() {
	register(
		test{"KeyUsage", testKeyUsage},
		test{"RekeyWhileAnotherStoreKeepsOpening", testRekeyWhileAnotherStoreKeepsOpening},
		test{"RekeyLeavesOldKeyWritesForTheNextRun", testRekeyLeavesOldKeyWrites},
	)
}

// rotator returns s as a store.KeyRotator or fails the test.
func rotator(t *testing.T, s store.Store) store.KeyRotator {
	t.Helper()
	r, ok := s.(store.KeyRotator)
	if !ok {
		t.Fatalf("%T does not implement store.KeyRotator", s)
	}
	return r
}

// usage returns the store's credentials per key ID or fails the test.
func usage(t *testing.T, s store.Store) map[string]int {
	t.Helper()
	u, err := rotator(t, s).KeyUsage(context.Background())
	if err != nil {
		t.Fatalf("KeyUsage() error = %v", err)
	}
	return u
}

// addTokens adds n token credentials for the user, sealed by s.
func addTokens(t *testing.T, s store.Store, userID int64, prefix string, n int) []store.Credential {
	t.Helper()
	var creds []store.Credential
	for i := range n {
		creds = append(creds, AddToken(t, s, userID, fmt.Sprintf("%s%02d", prefix, i), AccountA, fmt.Sprintf("tok-%s%02d-0123456789abcdef", prefix, i)))
	}
	return creds
}

func testKeyUsage(t *testing.T, fresh func(*testing.T) Opener) {
	open := fresh(t)
	oldB64, newB64 := NewKey(t), NewKey(t)
	oldRing, newRing := Keyring(t, oldB64), Keyring(t, newB64+","+oldB64)
	s := mustOpen(t, open, oldRing)
	if got := usage(t, s); len(got) != 0 {
		t.Errorf("KeyUsage() of an empty store = %v, want none", got)
	}
	u := CreateUser(t, s, "ana@example.com", store.RoleResponder)
	addTokens(t, s, u.ID, "old", 3)
	rotated := mustOpen(t, open, newRing)
	addTokens(t, rotated, u.ID, "new", 2)
	want := map[string]int{oldRing.NewestKeyID(): 3, newRing.NewestKeyID(): 2}
	if diff := cmp.Diff(want, usage(t, rotated)); diff != "" {
		t.Errorf("KeyUsage() mismatch (-want +got):\n%s", diff)
	}
	if got := rotator(t, rotated).Keyring().KeyIDs(); !cmp.Equal(got, newRing.KeyIDs()) {
		t.Errorf("Keyring().KeyIDs() = %v, want %v", got, newRing.KeyIDs())
	}
}

// testRekeyWhileAnotherStoreKeepsOpening rotates in batches of 2 while
// another store on the same database opens every credential again and
// again, at least once between any two batches and during each: no open
// fails, whichever key a row is on at that instant.
func testRekeyWhileAnotherStoreKeepsOpening(t *testing.T, fresh func(*testing.T) Opener) {
	open := fresh(t)
	oldB64, newB64 := NewKey(t), NewKey(t)
	s := mustOpen(t, open, Keyring(t, oldB64))
	u := CreateUser(t, s, "ana@example.com", store.RoleResponder)
	creds := addTokens(t, s, u.ID, "c", 12)
	ring := Keyring(t, newB64+","+oldB64)
	rot, replica := mustOpen(t, open, ring), mustOpen(t, open, ring)

	var passes atomic.Int64
	passed := make(chan struct{}, 1)
	done, stopped := make(chan struct{}), make(chan struct{})
	var openErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(stopped)
		for {
			for i, c := range creds {
				_, secret, err := replica.OpenCredential(context.Background(), u.ID, c.ID)
				if err == nil && secret.Token != fmt.Sprintf("tok-c%02d-0123456789abcdef", i) {
					err = errors.New("opened to the wrong secret")
				}
				if err != nil {
					openErr = fmt.Errorf("open %s during the rotation: %w", c.Label, err)
					return
				}
			}
			passes.Add(1)
			select {
			case passed <- struct{}{}:
			default:
			}
			select {
			case <-done:
				return
			default:
			}
		}
	})
	ctx := store.WithRekeyProgress(context.Background(), 2, func(int) {
		// Let the replica finish a whole pass, begun after this batch
		// committed, before the next batch (the first pass seen may have
		// begun earlier).
		for range 2 {
			select {
			case <-passed:
			case <-stopped:
				return
			}
		}
	})
	n, err := rot.Rekey(ctx)
	close(done)
	wg.Wait()
	if openErr != nil {
		t.Error(openErr)
	}
	if err != nil || n != len(creds) {
		t.Fatalf("Rekey() = %d, %v, want %d, nil", n, err, len(creds))
	}
	if p := passes.Load(); p < int64(len(creds)/2) {
		t.Errorf("the replica made %d passes, want one per batch at least", p)
	}
	if got := opensWith(t, open, Keyring(t, newB64), u.ID, creds); got != len(creds) {
		t.Errorf("%d of %d credentials open with the new key alone, want all", got, len(creds))
	}
}

// testRekeyLeavesOldKeyWrites: a replica not yet restarted with the new key
// first (it holds both, the old one first) adds credentials during and
// after a rotation. They are sealed with the old key; KeyUsage shows what
// the run left, and the next run re-seals it, so that only a run that
// leaves nothing on the old key means the old key may go.
func testRekeyLeavesOldKeyWrites(t *testing.T, fresh func(*testing.T) Opener) {
	open := fresh(t)
	oldB64, newB64 := NewKey(t), NewKey(t)
	s := mustOpen(t, open, Keyring(t, oldB64))
	u := CreateUser(t, s, "ana@example.com", store.RoleResponder)
	creds := addTokens(t, s, u.ID, "c", 5)
	newRing := Keyring(t, newB64+","+oldB64)
	rot := mustOpen(t, open, newRing)
	lagging := mustOpen(t, open, Keyring(t, oldB64+","+newB64))
	oldID, newID := Keyring(t, oldB64).NewestKeyID(), newRing.NewestKeyID()

	var during []store.Credential
	ctx := store.WithRekeyProgress(context.Background(), 2, func(int) {
		if len(during) == 0 {
			during = addTokens(t, lagging, u.ID, "during", 1)
		}
	})
	first, err := rot.Rekey(ctx)
	if err != nil || len(during) != 1 {
		t.Fatalf("Rekey() = %d, %v (added during it: %d), want no error", first, err, len(during))
	}
	after := addTokens(t, lagging, u.ID, "after", 1)
	all := append(append(creds, during...), after...)
	got := usage(t, rot)
	if got[oldID] < 1 || got[oldID]+got[newID] != len(all) || len(got) > 2 {
		t.Errorf("KeyUsage() after the first run = %v, want at least the credential added after it on the old key %s, the rest on %s", got, oldID, newID)
	}
	second, err := rot.Rekey(context.Background())
	if err != nil || second != got[oldID] {
		t.Fatalf("second Rekey() = %d, %v, want %d (what the first left), nil", second, err, got[oldID])
	}
	if first+second != len(all) {
		t.Errorf("the two runs re-sealed %d + %d, want %d in all (each row once)", first, second, len(all))
	}
	if diff := cmp.Diff(map[string]int{newID: len(all)}, usage(t, rot)); diff != "" {
		t.Errorf("KeyUsage() after the second run mismatch (-want +got):\n%s", diff)
	}
	if n := opensWith(t, open, Keyring(t, newB64), u.ID, all); n != len(all) {
		t.Errorf("%d of %d credentials open with the new key alone, want all", n, len(all))
	}
}
