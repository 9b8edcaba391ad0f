package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/respond/bulkjobs/store"
)

func init() {
	register(
		test{"KeyRotation", testKeyRotation},
		test{"RekeyStopsOnUnreadableRow", testRekeyStopsOnUnreadableRow},
		test{"RekeyResumesAfterAnInterruption", testRekeyResumes},
		test{"RekeyWhileReplicasServe", testRekeyWhileReplicasServe},
	)
}

// opensWith counts the credentials of user that open with keys alone.
func opensWith(t *testing.T, open Opener, keys *store.Keyring, userID int64, creds []store.Credential) int {
	t.Helper()
	s := mustOpen(t, open, keys)
	n := 0
	for _, c := range creds {
		_, _, err := s.OpenCredential(context.Background(), userID, c.ID)
		switch {
		case err == nil:
			n++
		case !errors.Is(err, store.ErrSecretUnreadable):
			t.Fatalf("OpenCredential(%s) error = %v, want nil or ErrSecretUnreadable", c.Label, err)
		}
	}
	return n
}

func testKeyRotation(t *testing.T, fresh func(*testing.T) Opener) {
	ctx := context.Background()
	open := fresh(t)
	oldB64, newB64 := NewKey(t), NewKey(t)
	s := mustOpen(t, open, Keyring(t, oldB64))
	u := CreateUser(t, s, "ana@example.com", store.RoleResponder)
	oldCred := AddToken(t, s, u.ID, "old", AccountA, TokenA)

	s = mustOpen(t, open, Keyring(t, newB64+","+oldB64))
	if _, secret, err := s.OpenCredential(ctx, u.ID, oldCred.ID); err != nil || secret.Token != TokenA {
		t.Fatalf("OpenCredential(old row) with the new keyring error = %v", err)
	}
	newCred := AddToken(t, s, u.ID, "new", AccountB, "tok-new-333333333333333")
	both := []store.Credential{oldCred, newCred}
	if got := opensWith(t, open, Keyring(t, newB64), u.ID, both); got != 1 {
		t.Errorf("before Rekey, %d credentials open with the new key alone, want 1", got)
	}

	n, err := s.Rekey(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Rekey() = %d, %v, want 1, nil", n, err)
	}
	if n, err := s.Rekey(ctx); err != nil || n != 0 {
		t.Errorf("second Rekey() = %d, %v, want 0, nil", n, err)
	}
	// With the old key dropped, every row still opens.
	s = mustOpen(t, open, Keyring(t, newB64))
	for id, token := range map[string]string{oldCred.ID: TokenA, newCred.ID: "tok-new-333333333333333"} {
		if _, secret, err := s.OpenCredential(ctx, u.ID, id); err != nil || secret.Token != token {
			t.Errorf("OpenCredential(%s) with only the new key error = %v", id, err)
		}
	}
}

func testRekeyStopsOnUnreadableRow(t *testing.T, fresh func(*testing.T) Opener) {
	open := fresh(t)
	s := mustOpen(t, open, Keyring(t, NewKey(t)))
	u := CreateUser(t, s, "ana@example.com", store.RoleResponder)
	AddToken(t, s, u.ID, "old", AccountA, TokenA)
	// The old key is gone from the ring: the row cannot be re-sealed.
	s = mustOpen(t, open, Keyring(t, NewKey(t)))
	if _, err := s.Rekey(context.Background()); !errors.Is(err, store.ErrSecretUnreadable) {
		t.Errorf("Rekey() error = %v, want ErrSecretUnreadable", err)
	}
}

// testRekeyResumes stops a rotation after its first batch, as a crash or
// a Ctrl-C would: every row is either on the old key or on the new one,
// all of them open, and running Rekey again finishes the rest.
func testRekeyResumes(t *testing.T, fresh func(*testing.T) Opener) {
	open := fresh(t)
	oldB64, newB64 := NewKey(t), NewKey(t)
	s := mustOpen(t, open, Keyring(t, oldB64))
	u := CreateUser(t, s, "ana@example.com", store.RoleResponder)
	var creds []store.Credential
	for i := range 5 {
		creds = append(creds, AddToken(t, s, u.ID, fmt.Sprintf("c%d", i), AccountA, fmt.Sprintf("tok-%d-0123456789abcdef", i)))
	}

	s = mustOpen(t, open, Keyring(t, newB64+","+oldB64))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var reports []int
	n, err := s.Rekey(store.WithRekeyProgress(ctx, 2, func(done int) {
		reports = append(reports, done)
		cancel() // stop after the first committed batch
	}))
	if !errors.Is(err, context.Canceled) || n != 2 || len(reports) != 1 || reports[0] != 2 {
		t.Fatalf("interrupted Rekey() = %d, %v, reports %v; want 2, context.Canceled, [2]", n, err, reports)
	}
	if got := opensWith(t, open, Keyring(t, newB64), u.ID, creds); got != 2 {
		t.Errorf("after the interruption %d credentials open with the new key alone, want 2", got)
	}
	if got := opensWith(t, open, Keyring(t, newB64+","+oldB64), u.ID, creds); got != len(creds) {
		t.Errorf("after the interruption %d credentials open with both keys, want all %d", got, len(creds))
	}

	n, err = s.Rekey(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("resumed Rekey() = %d, %v, want 3, nil", n, err)
	}
	if got := opensWith(t, open, Keyring(t, newB64), u.ID, creds); got != len(creds) {
		t.Errorf("after the resumed Rekey %d credentials open with the new key alone, want all %d", got, len(creds))
	}
}

// testRekeyWhileReplicasServe runs two rotations at once on two stores
// (an operator who ran "keys rotate" twice) while a third store reads every
// credential and deletes two: nothing fails, no row is re-sealed twice, and
// at the end every remaining row opens with the new key alone.
func testRekeyWhileReplicasServe(t *testing.T, fresh func(*testing.T) Opener) {
	open := fresh(t)
	oldB64, newB64 := NewKey(t), NewKey(t)
	s := mustOpen(t, open, Keyring(t, oldB64))
	u := CreateUser(t, s, "ana@example.com", store.RoleResponder)
	const total = 20
	var creds []store.Credential
	for i := range total {
		creds = append(creds, AddToken(t, s, u.ID, fmt.Sprintf("c%02d", i), AccountA, fmt.Sprintf("tok-%02d-0123456789abcdef", i)))
	}
	ring := Keyring(t, newB64+","+oldB64)
	rotators := []store.Store{mustOpen(t, open, ring), mustOpen(t, open, ring)}
	server := mustOpen(t, open, ring)

	ctx := store.WithRekeyProgress(context.Background(), 3, nil)
	var wg sync.WaitGroup
	counts := make([]int, len(rotators))
	errs := make([]error, len(rotators)+1)
	start := make(chan struct{})
	for i, r := range rotators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			counts[i], errs[i] = r.Rekey(ctx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		for i, c := range creds {
			if i == 5 || i == 14 {
				if _, err := server.DeleteCredential(context.Background(), u.ID, c.ID); err != nil {
					errs[len(rotators)] = fmt.Errorf("delete %s: %w", c.Label, err)
					return
				}
				continue
			}
			if _, secret, err := server.OpenCredential(context.Background(), u.ID, c.ID); err != nil || secret.Token == "" {
				errs[len(rotators)] = fmt.Errorf("open %s during the rotation: %w", c.Label, err)
				return
			}
		}
	}()
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	if sum := counts[0] + counts[1]; sum < total-2 || sum > total {
		t.Errorf("the two rotations re-sealed %d and %d rows, want %d to %d in all", counts[0], counts[1], total-2, total)
	}
	left := append(append([]store.Credential{}, creds[:5]...), creds[6:14]...)
	left = append(left, creds[15:]...)
	if got := opensWith(t, open, Keyring(t, newB64), u.ID, left); got != len(left) {
		t.Errorf("%d of %d credentials open with the new key alone, want all", got, len(left))
	}
}
