package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/store/storetest"
)

// The suite's helpers under the names the SQLite-only tests use.
const (
	accountA = storetest.AccountA
	accountB = storetest.AccountB
	tokenA   = storetest.TokenA
)

func newKey(t *testing.T) string { return storetest.NewKey(t) }

func newKeyring(t *testing.T, keys string) *store.Keyring { return storetest.Keyring(t, keys) }

func testHasher(t *testing.T) *store.Hasher { return storetest.Hasher(t) }

func createUser(t *testing.T, s store.Store, email string, role store.Role) store.User {
	return storetest.CreateUser(t, s, email, role)
}

func addToken(t *testing.T, s store.Store, userID int64, label, account, token string) store.Credential {
	return storetest.AddToken(t, s, userID, label, account, token)
}

// TestSQLiteSuite runs the shared store suite on SQLite, each test on a
// new database file; each Opener call opens that file again, as another
// process would.
func TestSQLiteSuite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "suite.db")
		return func(t *testing.T, keys *store.Keyring) (store.Store, error) {
			s, err := store.OpenSQLite(context.Background(), path, keys)
			if err == nil {
				t.Cleanup(func() { _ = s.Close() })
			}
			return s, err
		}
	})
}

// openAt opens the store at path and closes it when the test ends.
func openAt(t *testing.T, path string, keys *store.Keyring) *store.SQLite {
	t.Helper()
	s, err := store.OpenSQLite(context.Background(), path, keys)
	if err != nil {
		t.Fatalf("OpenSQLite(%q) error = %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// setup opens a fresh file-backed store with one key and returns it with
// the database path.
func setup(t *testing.T) (*store.SQLite, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	return openAt(t, path, newKeyring(t, newKey(t))), path
}

// rawDB opens a second, plain connection to the database file, for
// inspecting and tampering with rows.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatalf("sql.Open() error = %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "twice.db")
	keys := newKeyring(t, newKey(t))
	first := openAt(t, path, keys)
	want := createUser(t, first, "ana@example.com", store.RoleAdmin)
	if err := first.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}

	second := openAt(t, path, keys)
	got, err := second.UserByID(context.Background(), want.ID)
	if err != nil {
		t.Fatalf("UserByID() after reopen error = %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UserByID() after reopen mismatch (-want +got):\n%s", diff)
	}
	var n int
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatalf("count migrations: %v", err)
	}
	files, err := os.ReadDir("migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if n != len(files) {
		t.Errorf("schema_migrations rows = %d, want one per migration file (%d)", n, len(files))
	}
}

func TestOpenSQLiteRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	s, path := setup(t)
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', '')`); err != nil {
		t.Fatalf("insert future migration: %v", err)
	}
	_ = s.Close()
	if _, err := store.OpenSQLite(context.Background(), path, newKeyring(t, newKey(t))); err == nil {
		t.Errorf("OpenSQLite() on a newer schema error = nil, want an error")
	}
}

func TestOpenSQLiteFileMode(t *testing.T) {
	t.Parallel()
	s, path := setup(t)
	createUser(t, s, "ana@example.com", store.RoleViewer) // a write creates -wal and -shm
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatalf("Stat() error = %v", err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s mode = %v, want %v", filepath.Base(f), got, os.FileMode(0o600))
		}
	}
}

func TestOpenSQLiteRejects(t *testing.T) {
	t.Parallel()
	keys := newKeyring(t, newKey(t))
	tests := []struct {
		name string
		path string
		keys *store.Keyring
	}{
		{name: "nil keyring", path: filepath.Join(t.TempDir(), "a.db"), keys: nil},
		{name: "empty path", path: "", keys: keys},
		{name: "question mark", path: filepath.Join(t.TempDir(), "a?.db"), keys: keys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := store.OpenSQLite(context.Background(), tt.path, tt.keys)
			if err == nil {
				_ = s.Close()
				t.Errorf("OpenSQLite(%q) error = nil, want an error", tt.path)
			}
		})
	}
}

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	s := openAt(t, store.MemoryPath, newKeyring(t, newKey(t)))
	ctx := context.Background()
	u := createUser(t, s, "mem@example.com", store.RoleViewer)
	// Concurrent calls must share one database, not get one per connection.
	errs := make(chan error, 8)
	for range cap(errs) {
		go func() {
			_, err := s.UserByID(ctx, u.ID)
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("concurrent UserByID() error = %v", err)
		}
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping() error = %v", err)
	}
}
