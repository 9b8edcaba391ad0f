package store_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/store/storetest"
)

// postgresOpener returns an Opener on a new database of the server at
// STORE_POSTGRES_URL (the test skips without one, or fails when
// STORE_REQUIRE_POSTGRES=1).
func postgresOpener(t *testing.T) storetest.Opener {
	url := storetest.PostgresURL(t)
	return func(t *testing.T, keys *store.Keyring) (store.Store, error) {
		s, err := store.OpenPostgres(context.Background(), url, keys)
		if err == nil {
			t.Cleanup(func() { _ = s.Close() })
		}
		return s, err
	}
}

// TestPostgresSuite runs the shared store suite on PostgreSQL, each test on
// a new database; each Opener call is another pool, as another replica.
func TestPostgresSuite(t *testing.T) {
	t.Parallel()
	storetest.RequirePostgres(t) // skip (or fail) once, not once per test
	storetest.Run(t, postgresOpener)
}

// openPostgres opens a store on a new database.
func openPostgres(t *testing.T) (*store.Postgres, string) {
	t.Helper()
	url := storetest.PostgresURL(t)
	s, err := store.OpenPostgres(context.Background(), url, newKeyring(t, newKey(t)))
	if err != nil {
		t.Fatalf("OpenPostgres() error = %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, url
}

func TestPostgresMigrationsRecorded(t *testing.T) {
	t.Parallel()
	s, _ := openPostgres(t)
	var n int
	// goose keeps a version-0 row, then one row per migration applied.
	if err := s.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied`).Scan(&n); err != nil {
		t.Fatalf("count migrations: %v", err)
	}
	files, err := os.ReadDir("migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	sqlite, err := os.ReadDir("migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if n != len(files) || len(files) != len(sqlite) {
		t.Errorf("goose_db_version rows = %d, postgres files = %d, sqlite files = %d; want one row per file and the same versions on both",
			n, len(files), len(sqlite))
	}
	for i := range min(len(files), len(sqlite)) {
		if files[i].Name() != sqlite[i].Name() {
			t.Errorf("migration %d is %s for postgres but %s for sqlite", i+1, files[i].Name(), sqlite[i].Name())
		}
	}
}

func TestOpenPostgresRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	s, url := openPostgres(t)
	if _, err := s.Pool().Exec(context.Background(),
		`INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)`); err != nil {
		t.Fatalf("insert future migration: %v", err)
	}
	other, err := store.OpenPostgres(context.Background(), url, newKeyring(t, newKey(t)))
	if err == nil {
		_ = other.Close()
		t.Fatal("OpenPostgres() on a newer schema error = nil, want an error")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("OpenPostgres() on a newer schema error = %v, want it to say the schema is newer", err)
	}
}

// TestOpenPostgresRejects needs no server: every refusal comes before or
// at the first connection, and none shows the password.
func TestOpenPostgresRejects(t *testing.T) {
	t.Parallel()
	const pw = "hunter2-secret-pw"
	keys := newKeyring(t, newKey(t))
	tests := []struct {
		name string
		url  string
		keys *store.Keyring
	}{
		{name: "nil keyring", url: "postgres://u:" + pw + "@127.0.0.1:1/x", keys: nil},
		{name: "not postgres", url: "mysql://u:" + pw + "@127.0.0.1:1/x", keys: keys},
		{name: "bad port", url: "postgres://u:" + pw + "@127.0.0.1:notaport/x", keys: keys},
		{name: "bad option", url: "postgres://u:" + pw + "@127.0.0.1:1/x?sslmode=sometimes", keys: keys},
		{name: "nobody listening", url: "postgresql://u:" + pw + "@127.0.0.1:1/x?connect_timeout=5", keys: keys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := store.OpenPostgres(context.Background(), tt.url, tt.keys)
			if err == nil {
				_ = s.Close()
				t.Fatalf("OpenPostgres() error = nil, want an error")
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("OpenPostgres() error shows the password: %v", err)
			}
		})
	}
}

// TestPostgresSealedSecretBoundToRow tampers with rows as someone with
// write access to the database could: a ciphertext copied into another
// row or another user's row, or a row moved to another user, never opens.
func TestPostgresSealedSecretBoundToRow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tamper string // $1 is the source row, $2 the target
		user   func(a1, b1 store.Credential) int64
		target func(a1, a2, b1 store.Credential) (from, to string)
	}{
		{
			name:   "copied to another user's row",
			tamper: `UPDATE credentials SET (key_id, sealed) = (SELECT key_id, sealed FROM credentials WHERE id = $1) WHERE id = $2`,
			user:   func(_, b1 store.Credential) int64 { return b1.UserID },
			target: func(a1, _, b1 store.Credential) (string, string) { return a1.ID, b1.ID },
		},
		{
			name:   "copied to another row of the same user",
			tamper: `UPDATE credentials SET (key_id, sealed) = (SELECT key_id, sealed FROM credentials WHERE id = $1) WHERE id = $2`,
			user:   func(a1, _ store.Credential) int64 { return a1.UserID },
			target: func(a1, a2, _ store.Credential) (string, string) { return a1.ID, a2.ID },
		},
		{
			name:   "row moved to another user",
			tamper: `UPDATE credentials SET user_id = (SELECT user_id FROM credentials WHERE id = $1) WHERE id = $2`,
			user:   func(_, b1 store.Credential) int64 { return b1.UserID },
			target: func(a1, _, b1 store.Credential) (string, string) { return b1.ID, a1.ID },
		},
		{
			name:   "one ciphertext byte flipped",
			tamper: `UPDATE credentials SET sealed = set_byte(sealed, 20, get_byte(sealed, 20) # 1) WHERE id = $2 AND $1 <> ''`,
			user:   func(a1, _ store.Credential) int64 { return a1.UserID },
			target: func(a1, _, _ store.Credential) (string, string) { return a1.ID, a1.ID },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := openPostgres(t)
			ctx := context.Background()
			a := createUser(t, s, "a@example.com", store.RoleResponder)
			b := createUser(t, s, "b@example.com", store.RoleResponder)
			a1 := addToken(t, s, a.ID, "a1", accountA, tokenA)
			a2 := addToken(t, s, a.ID, "a2", accountB, "tokA2-11111111111111111111")
			b1 := addToken(t, s, b.ID, "b1", accountA, "tokB1-22222222222222222222")
			from, to := tt.target(a1, a2, b1)
			if _, err := s.Pool().Exec(ctx, tt.tamper, from, to); err != nil {
				t.Fatalf("tamper: %v", err)
			}
			_, secret, err := s.OpenCredential(ctx, tt.user(a1, b1), to)
			if !errors.Is(err, store.ErrSecretUnreadable) {
				t.Fatalf("OpenCredential() after tampering error = %v, want ErrSecretUnreadable", err)
			}
			if secret != (store.Secret{}) {
				t.Errorf("OpenCredential() after tampering returned a non-empty secret")
			}
		})
	}
}

// A replica's pool is large enough for the budget, the refresher's listener
// and the pages at once, unless the URL sets its own size.
func TestPostgresPoolSize(t *testing.T) {
	t.Parallel()
	s, url := openPostgres(t)
	if n := s.Pool().Config().MaxConns; n != 16 {
		t.Errorf("MaxConns = %d without pool_max_conns, want 16", n)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	own, err := store.OpenPostgres(context.Background(), url+sep+"pool_max_conns=5", newKeyring(t, newKey(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if n := own.Pool().Config().MaxConns; n != 5 {
		t.Errorf("MaxConns = %d with pool_max_conns=5, want 5", n)
	}
}
