package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/respond/bulkjobs/store"
)

func init() {
	register(
		test{"ReopenKeepsData", testReopenKeepsData},
		test{"OpenConcurrently", testOpenConcurrently},
	)
}

func testReopenKeepsData(t *testing.T, fresh func(*testing.T) Opener) {
	open := fresh(t)
	keys := Keyring(t, NewKey(t))
	first := mustOpen(t, open, keys)
	want := CreateUser(t, first, "ana@example.com", store.RoleAdmin)
	cred := AddToken(t, first, want.ID, "prod", AccountA, TokenA)
	if err := first.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}

	second := mustOpen(t, open, keys)
	ctx := context.Background()
	got, err := second.UserByID(ctx, want.ID)
	if err != nil {
		t.Fatalf("UserByID() after reopen error = %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UserByID() after reopen mismatch (-want +got):\n%s", diff)
	}
	if _, secret, err := second.OpenCredential(ctx, want.ID, cred.ID); err != nil || secret.Token != TokenA {
		t.Errorf("OpenCredential() after reopen error = %v", err)
	}
	if err := second.Ping(ctx); err != nil {
		t.Errorf("Ping() error = %v", err)
	}
}

// testOpenConcurrently opens a new database from six stores at once, as
// replicas starting together do: the schema is applied once, every open
// succeeds, and every store works on the same data.
func testOpenConcurrently(t *testing.T, fresh func(*testing.T) Opener) {
	open := fresh(t)
	keys := Keyring(t, NewKey(t))
	const n = 6
	stores := make([]store.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = open(t, keys)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d of %d at once: %v", i+1, n, err)
		}
	}
	var want []store.User
	for i, s := range stores {
		want = append(want, CreateUser(t, s, fmt.Sprintf("user%d@example.com", i), store.RoleViewer))
	}
	for i, s := range stores {
		got, err := s.ListUsers(context.Background())
		if err != nil {
			t.Fatalf("store %d: ListUsers() error = %v", i, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("store %d: ListUsers() mismatch (-want +got):\n%s", i, diff)
		}
	}
}
