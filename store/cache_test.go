package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/store"
)

const (
	cacheAccount = "0123456789abcdef0123456789abcdef"
	cacheToken   = "tok-0123456789-secret"
)

// countingStore counts the reads a Cache makes of the database. Embedding
// *store.SQLite keeps its SealedReader and Revisioner methods.
type countingStore struct {
	*store.SQLite
	users, creds, revisions atomic.Int64
}

func (s *countingStore) UserByID(ctx context.Context, id int64) (store.User, error) {
	s.users.Add(1)
	return s.SQLite.UserByID(ctx, id)
}

func (s *countingStore) CredentialForAccount(ctx context.Context, userID int64, accountID string) (store.Credential, store.Secret, error) {
	s.creds.Add(1)
	return s.SQLite.CredentialForAccount(ctx, userID, accountID)
}

func (s *countingStore) SealedCredentialForAccount(ctx context.Context, userID int64, accountID string) (store.SealedCredential, error) {
	s.creds.Add(1)
	return s.SQLite.SealedCredentialForAccount(ctx, userID, accountID)
}

func (s *countingStore) Revision(ctx context.Context) (int64, error) {
	s.revisions.Add(1)
	return s.SQLite.Revision(ctx)
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cacheSetup returns a Cache over a counted SQLite store, the raw store (as
// another process would write to it), the clock and a user with one
// credential for cacheAccount.
func cacheSetup(t *testing.T) (*store.Cache, *countingStore, *fakeClock, store.User) {
	t.Helper()
	raw, _ := setup(t)
	counted := &countingStore{SQLite: raw}
	clock := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	c := store.NewCache(counted, store.CacheOptions{TTL: 30 * time.Second, CheckEvery: time.Second, Now: clock.Now})
	u := createUser(t, raw, "ana@example.com", store.RoleResponder)
	addToken(t, raw, u.ID, "main", cacheAccount, cacheToken)
	return c, counted, clock, u
}

// reads makes one poll's reads: the user and the credential.
func reads(t *testing.T, c store.Store, ctx context.Context, id int64) (store.User, store.Secret, error) {
	t.Helper()
	u, err := c.UserByID(ctx, id)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	_, secret, err := c.CredentialForAccount(ctx, id, cacheAccount)
	return u, secret, err
}

func TestCacheSavesLookups(t *testing.T) {
	t.Parallel()
	c, counted, clock, u := cacheSetup(t)
	ctx := context.Background()
	for range 10 {
		got, secret, err := reads(t, c, ctx, u.ID)
		if err != nil || got.ID != u.ID || secret.Token != cacheToken {
			t.Fatalf("cached reads: user %d, secret ok %v, err %v", got.ID, secret.Token == cacheToken, err)
		}
		clock.Advance(100 * time.Millisecond)
	}
	if n, m := counted.users.Load(), counted.creds.Load(); n != 1 || m != 1 {
		t.Errorf("10 polls in 1 s read the user %d times and the credential %d times, want 1 and 1", n, m)
	}
	if n := counted.revisions.Load(); n != 1 {
		t.Errorf("10 polls in 1 s read the revision %d times, want 1", n)
	}
	// A request that changes something reads the database.
	if _, _, err := reads(t, c, store.Uncached(ctx), u.ID); err != nil {
		t.Fatal(err)
	}
	if n, m := counted.users.Load(), counted.creds.Load(); n != 2 || m != 2 {
		t.Errorf("uncached reads: user read %d times, credential %d times, want 2 and 2", n, m)
	}
	// An unknown user or account is never kept.
	for range 2 {
		if _, err := c.UserByID(ctx, 999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		if _, _, err := c.CredentialForAccount(ctx, u.ID, strings.Repeat("f", 32)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown account: %v", err)
		}
	}
	if n, m := counted.users.Load(), counted.creds.Load(); n != 4 || m != 4 {
		t.Errorf("misses were cached: user read %d times, credential %d times, want 4 and 4", n, m)
	}
}

// TestCacheWritesTakeEffectAtOnce: every write through the Cache is seen by
// the very next read, with no time passing.
func TestCacheWritesTakeEffectAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	userWrites := []struct {
		name  string
		write func(c store.Store, id int64) error
		check func(before, after store.User) bool
	}{
		{"logout", func(c store.Store, id int64) error { _, err := c.BumpSessionVersion(ctx, id); return err },
			func(b, a store.User) bool { return a.SessionVersion > b.SessionVersion }},
		{"password", func(c store.Store, id int64) error { return c.SetPassword(ctx, id, "$argon2id$new") },
			func(b, a store.User) bool { return a.SessionVersion > b.SessionVersion }},
		{"role", func(c store.Store, id int64) error { return c.SetRole(ctx, id, store.RoleViewer) },
			func(b, a store.User) bool { return a.Role == store.RoleViewer && a.SessionVersion > b.SessionVersion }},
		{"disable", func(c store.Store, id int64) error { return c.SetDisabled(ctx, id, true) },
			func(b, a store.User) bool { return a.Disabled }},
	}
	for _, w := range userWrites {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			c, _, _, u := cacheSetup(t)
			before, _, _ := reads(t, c, ctx, u.ID)
			if err := w.write(c, u.ID); err != nil {
				t.Fatal(err)
			}
			if after, _, _ := reads(t, c, ctx, u.ID); !w.check(before, after) {
				t.Errorf("after %s the cache still gives %+v", w.name, after)
			}
		})
	}
	t.Run("credential delete", func(t *testing.T) {
		t.Parallel()
		c, _, _, u := cacheSetup(t)
		cr, _, _ := c.CredentialForAccount(ctx, u.ID, cacheAccount)
		if _, err := c.DeleteCredential(ctx, u.ID, cr.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := reads(t, c, ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted credential still served: %v", err)
		}
	})
	t.Run("credential add and test", func(t *testing.T) {
		t.Parallel()
		c, _, clock, u := cacheSetup(t)
		reads(t, c, ctx, u.ID)
		newer := addToken(t, c, u.ID, "newer", cacheAccount, "tok-newer-9876543210")
		if _, secret, _ := reads(t, c, ctx, u.ID); secret.Token != "tok-newer-9876543210" {
			t.Error("after adding a newer credential the cache still gives the old one")
		}
		if err := c.RecordCredentialTest(ctx, u.ID, newer.ID, false, clock.Now()); err != nil {
			t.Fatal(err)
		}
		if cr, _, _ := c.CredentialForAccount(ctx, u.ID, cacheAccount); cr.LastTestOK == nil || *cr.LastTestOK {
			t.Error("after a test the cache still gives the untested row")
		}
	})
}

// TestCacheSeesOtherProcesses: a change written to the database by another
// process is seen once CheckEvery has passed, not before the counter is read
// again, and TTL expiry rereads the rows.
func TestCacheSeesOtherProcesses(t *testing.T) {
	t.Parallel()
	c, counted, clock, u := cacheSetup(t)
	ctx := context.Background()
	reads(t, c, ctx, u.ID)
	if err := counted.SQLite.SetDisabled(ctx, u.ID, true); err != nil { // the admin command
		t.Fatal(err)
	}
	clock.Advance(999 * time.Millisecond)
	if got, _, _ := reads(t, c, ctx, u.ID); got.Disabled {
		t.Fatal("the counter was read before CheckEvery passed") // the test would prove nothing
	}
	clock.Advance(time.Millisecond)
	if got, _, _ := reads(t, c, ctx, u.ID); !got.Disabled {
		t.Error("a user disabled by another process is still enabled after CheckEvery")
	}
	// Without changes, rows live TTL, then are read again.
	n := counted.users.Load()
	for range 29 {
		clock.Advance(time.Second)
		reads(t, c, ctx, u.ID)
	}
	if got := counted.users.Load(); got != n {
		t.Errorf("unchanged user read %d times within the TTL", got-n)
	}
	clock.Advance(time.Second)
	reads(t, c, ctx, u.ID)
	if got := counted.users.Load(); got != n+1 {
		t.Errorf("after the TTL the user was read %d times, want 1", got-n)
	}
}

// plainStore is a Store with no change counter and no sealed rows.
type plainStore struct {
	store.Store
	users, creds atomic.Int64
}

func (s *plainStore) UserByID(ctx context.Context, id int64) (store.User, error) {
	s.users.Add(1)
	return s.Store.UserByID(ctx, id)
}

func (s *plainStore) CredentialForAccount(ctx context.Context, userID int64, accountID string) (store.Credential, store.Secret, error) {
	s.creds.Add(1)
	return s.Store.CredentialForAccount(ctx, userID, accountID)
}

// TestCacheWithoutRevisions: a store that keeps no change counter has its
// rows kept CheckEvery at most, and its credentials (no sealed rows) read
// every time.
func TestCacheWithoutRevisions(t *testing.T) {
	t.Parallel()
	raw, _ := setup(t)
	plain := &plainStore{Store: raw}
	clock := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	c := store.NewCache(plain, store.CacheOptions{TTL: time.Minute, CheckEvery: time.Second, Now: clock.Now})
	u := createUser(t, raw, "ana@example.com", store.RoleResponder)
	addToken(t, raw, u.ID, "main", cacheAccount, cacheToken)
	ctx := context.Background()
	reads(t, c, ctx, u.ID)
	clock.Advance(999 * time.Millisecond)
	reads(t, c, ctx, u.ID)
	if n, m := plain.users.Load(), plain.creds.Load(); n != 1 || m != 2 {
		t.Errorf("within CheckEvery: user read %d times, credential %d, want 1 and 2", n, m)
	}
	clock.Advance(time.Millisecond)
	reads(t, c, ctx, u.ID)
	if n := plain.users.Load(); n != 2 {
		t.Errorf("after CheckEvery the user was read %d times in all, want 2", n)
	}
}
