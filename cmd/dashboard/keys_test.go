package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/store/storetest"
)

// rotateDB is a database for the keys rotate tests: its variables, and a
// way to open it as a replica with given keys. On PostgreSQL an open store
// is a connected dashboard that keys rotate checks, so tests close the
// stores they are done with.
type rotateDB struct {
	vars map[string]string
	open func(t *testing.T, keys string) store.Store
}

// sqliteRotateDB is a fresh SQLite data folder.
func sqliteRotateDB(t *testing.T) rotateDB {
	dir := t.TempDir()
	return rotateDB{vars: map[string]string{"DASHBOARD_DATA_DIR": dir}, open: func(t *testing.T, keys string) store.Store {
		s, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "dashboard.db"), storetest.Keyring(t, keys))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}}
}

// postgresRotateDB is a fresh PostgreSQL database (skipped without one).
func postgresRotateDB(t *testing.T) rotateDB {
	url := storetest.PostgresURL(t)
	return rotateDB{vars: map[string]string{"DASHBOARD_DATA_DIR": t.TempDir(), "DASHBOARD_DATABASE_URL": url},
		open: func(t *testing.T, keys string) store.Store {
			s, err := store.OpenPostgres(context.Background(), url, storetest.Keyring(t, keys))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}}
}

// backends runs f on SQLite and on PostgreSQL.
func backends(t *testing.T, f func(t *testing.T, db rotateDB)) {
	t.Run("sqlite", func(t *testing.T) { f(t, sqliteRotateDB(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, postgresRotateDB(t)) })
}

// seed adds a responder with n token credentials sealed with keys.
func seed(t *testing.T, db rotateDB, keys string, n int) (int64, []store.Credential) {
	s := db.open(t, keys)
	defer s.Close()
	u := storetest.CreateUser(t, s, "ana@example.com", store.RoleResponder)
	var creds []store.Credential
	for i := range n {
		creds = append(creds, storetest.AddToken(t, s, u.ID, fmt.Sprintf("c%03d", i), storetest.AccountA, token(i)))
	}
	return u.ID, creds
}

func token(i int) string { return fmt.Sprintf("tok-%03d-0123456789abcdefSECRET", i) }

// rotate runs "dashboard keys rotate" with keys and extra arguments.
func rotate(ctx context.Context, db rotateDB, keys string, stderr *watchBuffer, args ...string) (string, error) {
	vars := map[string]string{"DASHBOARD_ENCRYPTION_KEYS": keys}
	for k, v := range db.vars {
		vars[k] = v
	}
	env, out := testEnv(append([]string{"keys", "rotate"}, args...), vars, "")
	if stderr != nil {
		env.stderr = stderr
	}
	err := run(ctx, env)
	return out.String(), err
}

// checkAllOpen asserts that every credential opens, to its own token, with
// keys alone.
func checkAllOpen(t *testing.T, db rotateDB, keys string, userID int64, creds []store.Credential) {
	t.Helper()
	s := db.open(t, keys)
	defer s.Close()
	for i, c := range creds {
		_, secret, err := s.OpenCredential(context.Background(), userID, c.ID)
		if err != nil || secret.Token != token(i) {
			t.Errorf("credential %s with the new key alone: %v (right secret: %v)", c.Label, err, secret.Token == token(i))
		}
	}
}

// noSecrets fails the test when text holds a key or a token.
func noSecrets(t *testing.T, text string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if strings.Contains(text, k) {
			t.Errorf("output holds key material:\n%s", text)
		}
	}
	if strings.Contains(text, "SECRET") {
		t.Errorf("output holds a token:\n%s", text)
	}
}

// TestKeysRotate re-seals in batches of 2 with a progress line per batch on
// standard error and the outcome on standard output, exit status 0.
func TestKeysRotate(t *testing.T) {
	backends(t, func(t *testing.T, db rotateDB) {
		oldKey, newKey := storetest.NewKey(t), storetest.NewKey(t)
		userID, creds := seed(t, db, oldKey, 5)
		var stderr watchBuffer
		out, err := rotate(context.Background(), db, newKey+","+oldKey, &stderr, "-batch", "2")
		if err != nil {
			t.Fatalf("keys rotate = %v\n%s%s", err, out, stderr.String())
		}
		newID := storetest.Keyring(t, newKey).NewestKeyID()
		for _, want := range []string{"2 re-sealed, 3 left", "4 re-sealed, 1 left", "5 re-sealed, 0 left"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("progress lacks %q:\n%s", want, stderr.String())
			}
		}
		if !strings.Contains(out, "re-sealed 5 credentials with key "+newID+"; 0 left on older keys") {
			t.Errorf("stdout = %q, want 5 re-sealed and 0 left", out)
		}
		noSecrets(t, out+stderr.String(), oldKey, newKey)
		checkAllOpen(t, db, newKey, userID, creds)

		out, err = rotate(context.Background(), db, newKey, nil)
		if err != nil || !strings.Contains(out, "nothing to re-seal: all 5 credentials are sealed with the newest key "+newID) {
			t.Errorf("keys rotate with the old key dropped = %q, %v, want nothing to re-seal", out, err)
		}
	})
}

// TestKeysRotateRefusesUnknownKey: a credential sealed with a key the
// keyring lacks stops the rotation before anything changes, with the
// count, the key's ID and what to do; exit status 3.
func TestKeysRotateRefusesUnknownKey(t *testing.T) {
	backends(t, func(t *testing.T, db rotateDB) {
		lostKey, oldKey, newKey := storetest.NewKey(t), storetest.NewKey(t), storetest.NewKey(t)
		userID, creds := seed(t, db, oldKey, 2)
		lost := db.open(t, lostKey)
		storetest.AddToken(t, lost, userID, "lost1", storetest.AccountA, token(90))
		storetest.AddToken(t, lost, userID, "lost2", storetest.AccountA, token(91))
		lost.Close()
		before := keyUsage(t, db, oldKey)

		_, err := rotate(context.Background(), db, newKey+","+oldKey, nil)
		lostID := storetest.Keyring(t, lostKey).NewestKeyID()
		if exitCode(err) != exitRotateRefused || !strings.Contains(err.Error(), "2 sealed with key "+lostID) ||
			!strings.Contains(err.Error(), "nothing changed") || !strings.Contains(err.Error(), "delete them and add them again") {
			t.Fatalf("keys rotate = %v (exit %d), want a refusal naming 2 credentials on key %s, exit %d", err, exitCode(err), lostID, exitRotateRefused)
		}
		noSecrets(t, err.Error(), lostKey, oldKey, newKey)
		if after := keyUsage(t, db, oldKey); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("key usage changed by a refused rotation: %v → %v", before, after)
		}
		checkAllOpen(t, db, oldKey, userID, creds)
	})
}

// TestKeysRotateNeedsKeys: without DASHBOARD_ENCRYPTION_KEYS and with no key
// file, keys rotate says so and generates no key (SQLite would otherwise
// make one, and every row would look unreadable).
func TestKeysRotateNeedsKeys(t *testing.T) {
	db := sqliteRotateDB(t)
	_, err := rotate(context.Background(), db, "", nil)
	if err == nil || !strings.Contains(err.Error(), "DASHBOARD_ENCRYPTION_KEYS") {
		t.Fatalf("keys rotate without keys = %v, want an error naming DASHBOARD_ENCRYPTION_KEYS", err)
	}
	if matches, _ := filepath.Glob(filepath.Join(db.vars["DASHBOARD_DATA_DIR"], "*.keys")); len(matches) > 0 {
		t.Errorf("keys rotate generated %v", matches)
	}
}

// TestKeysRotateResumes: a rotation stopped after its first batch (Ctrl-C)
// exits 1 saying so, leaves every credential readable with both keys, and
// the next run re-seals the rest, each row once.
func TestKeysRotateResumes(t *testing.T) {
	backends(t, func(t *testing.T, db rotateDB) {
		oldKey, newKey := storetest.NewKey(t), storetest.NewKey(t)
		userID, creds := seed(t, db, oldKey, 7)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stderr := &watchBuffer{onWrite: func(p string) {
			if strings.Contains(p, " re-sealed, ") {
				cancel()
			}
		}}
		_, err := rotate(ctx, db, newKey+","+oldKey, stderr, "-batch", "3")
		if exitCode(err) != 1 || !strings.Contains(fmt.Sprint(err), "interrupted after re-sealing 3 credentials") {
			t.Fatalf("interrupted keys rotate = %v, want exit 1 after 3\n%s", err, stderr.String())
		}
		newID := storetest.Keyring(t, newKey).NewestKeyID()
		if got := keyUsage(t, db, oldKey)[newID]; got != 3 {
			t.Errorf("after the interruption %d credentials are on the new key, want 3", got)
		}
		checkAllOpen(t, db, newKey+","+oldKey, userID, creds)

		out, err := rotate(context.Background(), db, newKey+","+oldKey, nil)
		if err != nil || !strings.Contains(out, "re-sealed 4 credentials") || !strings.Contains(out, "0 left") {
			t.Fatalf("resumed keys rotate = %q, %v, want the other 4 re-sealed", out, err)
		}
		checkAllOpen(t, db, newKey, userID, creds)
	})
}

// TestKeysRotateReportsLeftovers: a credential sealed with the old key
// right after the last batch (a replica that still seals with it and that
// the check could not see) is reported as left, with exit status 4, and
// the next run re-seals it.
func TestKeysRotateReportsLeftovers(t *testing.T) {
	backends(t, func(t *testing.T, db rotateDB) {
		oldKey, newKey := storetest.NewKey(t), storetest.NewKey(t)
		userID, creds := seed(t, db, oldKey, 3)
		rot := db.open(t, newKey+","+oldKey)
		defer rot.Close()
		late := lateWrite{KeyRotator: rot.(store.KeyRotator), after: func() {
			lagging := db.open(t, oldKey+","+newKey) // it connects after the check
			defer lagging.Close()
			creds = append(creds, storetest.AddToken(t, lagging, userID, "late", storetest.AccountA, token(len(creds))))
		}}
		var out, progress bytes.Buffer
		err := rotateKeys(context.Background(), rot, late, 100, &out, &progress)
		oldID := storetest.Keyring(t, oldKey).NewestKeyID()
		if exitCode(err) != exitRotateLeft || !strings.Contains(err.Error(), "1 credentials on key "+oldID) {
			t.Fatalf("keys rotate = %v (exit %d), want exit %d with 1 credential left on %s\n%s", err, exitCode(err), exitRotateLeft, oldID, progress.String())
		}
		if !strings.Contains(out.String(), "re-sealed 3 credentials") || !strings.Contains(out.String(), "1 left on older keys") {
			t.Errorf("stdout = %q, want 3 re-sealed and 1 left", out.String())
		}
		if out, err := rotate(context.Background(), db, newKey+","+oldKey, nil); err != nil || !strings.Contains(out, "re-sealed 1 credentials") {
			t.Fatalf("second keys rotate = %q, %v, want the late one re-sealed", out, err)
		}
		checkAllOpen(t, db, newKey, userID, creds)
	})
}

// lateWrite runs after once the wrapped Rekey has returned.
type lateWrite struct {
	store.KeyRotator
	after func()
}

func (l lateWrite) Rekey(ctx context.Context) (int, error) {
	n, err := l.KeyRotator.Rekey(ctx)
	l.after()
	return n, err
}

// keyUsage opens the database with keys and returns its KeyUsage.
func keyUsage(t *testing.T, db rotateDB, keys string) map[string]int {
	t.Helper()
	s := db.open(t, keys)
	defer s.Close()
	u, err := s.(store.KeyRotator).KeyUsage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// watchBuffer is a bytes.Buffer safe for concurrent use that calls onWrite
// with each write.
type watchBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	onWrite func(p string)
}

func (b *watchBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.buf.Write(p)
	b.mu.Unlock()
	if b.onWrite != nil {
		b.onWrite(string(p))
	}
	return n, err
}

func (b *watchBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
