package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/store"
)

// slowStore holds UserByID after it read the row, until released, so a
// write can happen between the read and the cache's fill.
type slowStore struct {
	*store.SQLite
	read, release chan struct{}
	revisionErr   error
}

func (s *slowStore) UserByID(ctx context.Context, id int64) (store.User, error) {
	u, err := s.SQLite.UserByID(ctx, id)
	if s.read != nil {
		s.read <- struct{}{}
		<-s.release
	}
	return u, err
}

func (s *slowStore) Revision(ctx context.Context) (int64, error) {
	if s.revisionErr != nil {
		return 0, s.revisionErr
	}
	return s.SQLite.Revision(ctx)
}

// TestCacheFillRacingAWrite: a read that got the row before a write and
// returns after it must not leave the old row in the cache.
func TestCacheFillRacingAWrite(t *testing.T) {
	t.Parallel()
	raw, _ := setup(t)
	u := createUser(t, raw, "ana@example.com", store.RoleResponder)
	slow := &slowStore{SQLite: raw, read: make(chan struct{}), release: make(chan struct{})}
	clock := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	c := store.NewCache(slow, store.CacheOptions{Now: clock.Now})
	ctx := context.Background()
	done := make(chan store.User)
	go func() {
		got, _ := c.UserByID(ctx, u.ID)
		done <- got
	}()
	<-slow.read // the old row is read
	if err := c.SetRole(ctx, u.ID, store.RoleViewer); err != nil {
		t.Fatal(err)
	}
	close(slow.release)
	if old := <-done; old.Role != store.RoleResponder {
		t.Fatalf("the racing read got %s", old.Role) // the test would prove nothing
	}
	slow.read = nil
	if got, _ := c.UserByID(ctx, u.ID); got.Role != store.RoleViewer {
		t.Errorf("a read racing the role change left the old role in the cache: %s", got.Role)
	}
}

// TestCacheRevisionUnreadable: when the counter cannot be read, nothing
// cached is trusted.
func TestCacheRevisionUnreadable(t *testing.T) {
	t.Parallel()
	raw, _ := setup(t)
	u := createUser(t, raw, "ana@example.com", store.RoleResponder)
	slow := &slowStore{SQLite: raw}
	clock := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	c := store.NewCache(slow, store.CacheOptions{Now: clock.Now})
	ctx := context.Background()
	if _, err := c.UserByID(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := raw.SetDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	slow.revisionErr = errors.New("database is locked")
	clock.Advance(time.Second)
	if got, _ := c.UserByID(ctx, u.ID); !got.Disabled {
		t.Error("with the counter unreadable the cached row was used")
	}
}

// TestRevisionCountsEveryChange: the counter moves on for every write to
// users and credentials, whichever process makes it, and for nothing else.
func TestRevisionCountsEveryChange(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx := context.Background()
	u := createUser(t, s, "ana@example.com", store.RoleResponder)
	last, err := s.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var cr store.Credential
	for _, w := range []struct {
		name  string
		write func() error
		moves bool
	}{
		{"logout", func() error { _, err := s.BumpSessionVersion(ctx, u.ID); return err }, true},
		{"password", func() error { return s.SetPassword(ctx, u.ID, "$argon2id$x") }, true},
		{"role", func() error { return s.SetRole(ctx, u.ID, store.RoleViewer) }, true},
		{"disable", func() error { return s.SetDisabled(ctx, u.ID, true) }, true},
		{"add credential", func() error { cr = addToken(t, s, u.ID, "l", cacheAccount, cacheToken); return nil }, true},
		{"test credential", func() error { return s.RecordCredentialTest(ctx, u.ID, cr.ID, true, time.Now()) }, true},
		{"delete credential", func() error { _, err := s.DeleteCredential(ctx, u.ID, cr.ID); return err }, true},
		{"audit", func() error { return s.AddAudit(ctx, store.AuditEvent{Action: "logout", Outcome: "ok"}) }, false},
	} {
		if err := w.write(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		n, err := s.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if moved := n != last; moved != w.moves {
			t.Errorf("%s: revision %d → %d, want moved = %v", w.name, last, n, w.moves)
		}
		last = n
	}
}

// TestCacheConcurrent hammers reads and writes together for the race
// detector; every read after the last write sees it.
func TestCacheConcurrent(t *testing.T) {
	t.Parallel()
	c, _, clock, u := cacheSetup(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				switch {
				case i == 0 && j%10 == 0:
					_, _ = c.BumpSessionVersion(ctx, u.ID)
				case i == 1 && j%10 == 0:
					clock.Advance(300 * time.Millisecond)
				case i == 2 && j%25 == 0:
					c.Flush()
				default:
					if _, _, err := reads(t, c, ctx, u.ID); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	v, err := c.BumpSessionVersion(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := reads(t, c, ctx, u.ID); got.SessionVersion != v {
		t.Errorf("after the last logout the cache gives session version %d, want %d", got.SessionVersion, v)
	}
}
