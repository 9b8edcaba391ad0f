package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/respond/bulkjobs/store"
)

func init() {
	register(test{"CacheSeams", testCacheSeams})
}

// testCacheSeams checks what store.Cache relies on: the change counter moves
// for every write to users and credentials (from any process) and not for
// audit rows, and a sealed credential opens to the same secret as
// CredentialForAccount.
func testCacheSeams(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	rev, ok := s.(store.Revisioner)
	sealed, ok2 := s.(store.SealedReader)
	if !ok || !ok2 {
		t.Fatalf("%T is not a store.Revisioner and store.SealedReader", s)
	}
	ctx := context.Background()
	last, err := rev.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	moved := func(what string, want bool) {
		t.Helper()
		n, err := rev.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if (n != last) != want {
			t.Errorf("%s: revision %d → %d, want moved = %v", what, last, n, want)
		}
		last = n
	}
	u := CreateUser(t, s, "ana@example.com", store.RoleResponder)
	c, err := s.AddCredential(ctx, store.NewCredential{UserID: u.ID, Label: "prod", AccountID: AccountA,
		Kind: store.CredentialAPIToken, Secret: store.Secret{Token: TokenA}})
	if err != nil {
		t.Fatal(err)
	}
	moved("add credential", true)
	if err := s.SetRole(ctx, u.ID, store.RoleViewer); err != nil {
		t.Fatal(err)
	}
	moved("set role", true)
	if _, err := s.BumpSessionVersion(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	moved("logout (session version)", true)
	if err := s.AddAudit(ctx, store.AuditEvent{Action: store.ActionLogin, UserID: u.ID}); err != nil {
		t.Fatal(err)
	}
	moved("audit row", false)

	sc, err := sealed.SealedCredentialForAccount(ctx, u.ID, AccountA)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := sealed.OpenSealed(sc)
	if err != nil || secret.Token != TokenA {
		t.Fatalf("OpenSealed = %v, %v; want the stored token", secret.Token == TokenA, err)
	}
	if _, err := s.DeleteCredential(ctx, u.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	moved("delete credential", true)
	if _, err := sealed.SealedCredentialForAccount(ctx, u.ID, AccountA); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("sealed read after delete = %v, want ErrNotFound", err)
	}
}
