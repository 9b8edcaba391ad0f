package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/respond/bulkjobs/store"
)

// copySealed copies the key_id and ciphertext of row from into row to, as
// someone with write access to the database file could.
func copySealed(t *testing.T, path, from, to string) {
	t.Helper()
	_, err := rawDB(t, path).Exec(`UPDATE credentials SET
		key_id = (SELECT key_id FROM credentials WHERE id = ?),
		sealed = (SELECT sealed FROM credentials WHERE id = ?)
		WHERE id = ?`, from, from, to)
	if err != nil {
		t.Fatalf("copy sealed secret: %v", err)
	}
}

func TestSealedSecretBoundToRow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tamper func(t *testing.T, path string, a1, a2, b store.Credential) (userID int64, id string)
	}{
		{
			name: "copied to another user's row",
			tamper: func(t *testing.T, path string, a1, _, b store.Credential) (int64, string) {
				copySealed(t, path, a1.ID, b.ID)
				return b.UserID, b.ID
			},
		},
		{
			name: "copied to another row of the same user",
			tamper: func(t *testing.T, path string, a1, a2, _ store.Credential) (int64, string) {
				copySealed(t, path, a1.ID, a2.ID)
				return a2.UserID, a2.ID
			},
		},
		{
			name: "row moved to another user",
			tamper: func(t *testing.T, path string, a1, _, b store.Credential) (int64, string) {
				if _, err := rawDB(t, path).Exec(`UPDATE credentials SET user_id = ? WHERE id = ?`, b.UserID, a1.ID); err != nil {
					t.Fatalf("move row: %v", err)
				}
				return b.UserID, a1.ID
			},
		},
		{
			name: "one ciphertext byte flipped",
			tamper: func(t *testing.T, path string, a1, _, _ store.Credential) (int64, string) {
				db := rawDB(t, path)
				var sealed []byte
				if err := db.QueryRow(`SELECT sealed FROM credentials WHERE id = ?`, a1.ID).Scan(&sealed); err != nil {
					t.Fatalf("read sealed: %v", err)
				}
				sealed[len(sealed)/2] ^= 0x01
				if _, err := db.Exec(`UPDATE credentials SET sealed = ? WHERE id = ?`, sealed, a1.ID); err != nil {
					t.Fatalf("write sealed: %v", err)
				}
				return a1.UserID, a1.ID
			},
		},
		{
			name: "unknown key id",
			tamper: func(t *testing.T, path string, a1, _, _ store.Credential) (int64, string) {
				if _, err := rawDB(t, path).Exec(`UPDATE credentials SET key_id = 'deadbeef' WHERE id = ?`, a1.ID); err != nil {
					t.Fatalf("set key id: %v", err)
				}
				return a1.UserID, a1.ID
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, path := setup(t)
			a := createUser(t, s, "a@example.com", store.RoleResponder)
			b := createUser(t, s, "b@example.com", store.RoleResponder)
			a1 := addToken(t, s, a.ID, "a1", accountA, tokenA)
			a2 := addToken(t, s, a.ID, "a2", accountB, "tokA2-11111111111111111111")
			b1 := addToken(t, s, b.ID, "b1", accountA, "tokB1-22222222222222222222")

			for _, c := range []store.Credential{a1, a2, b1} {
				if _, _, err := s.OpenCredential(context.Background(), c.UserID, c.ID); err != nil {
					t.Fatalf("OpenCredential(%s) before tampering error = %v", c.Label, err)
				}
			}

			userID, id := tt.tamper(t, path, a1, a2, b1)
			_, secret, err := s.OpenCredential(context.Background(), userID, id)
			if !errors.Is(err, store.ErrSecretUnreadable) {
				t.Fatalf("OpenCredential() after tampering error = %v, want ErrSecretUnreadable", err)
			}
			if secret != (store.Secret{}) {
				t.Errorf("OpenCredential() after tampering returned a non-empty secret")
			}
		})
	}
}

func TestPlaintextNotInDatabaseFiles(t *testing.T) {
	t.Parallel()
	s, path := setup(t)
	ctx := context.Background()
	u := createUser(t, s, "ana@example.com", store.RoleResponder)
	const token = "tok-PLAINTEXT-CANARY-5f0c2a9e81d34b7c"
	const key = "globalkeyCANARY0123456789abcdefZZZZ"
	addToken(t, s, u.ID, "canary", accountA, token)
	if _, err := s.AddCredential(ctx, store.NewCredential{UserID: u.ID, Label: "global", AccountID: accountB,
		Kind: store.CredentialGlobalKey, Secret: store.Secret{Email: "ana@example.com", Key: key}}); err != nil {
		t.Fatalf("AddCredential(global key) error = %v", err)
	}

	check := func(when string) {
		t.Helper()
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			b, err := os.ReadFile(f)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatalf("read %s: %v", f, err)
			}
			// last4 is stored in the clear, so look for everything before it.
			for _, secret := range []string{token[:len(token)-4], key[:len(key)-4]} {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("%s: %s contains a plaintext secret", when, filepath.Base(f))
				}
			}
		}
	}
	check("before checkpoint")
	if _, err := rawDB(t, path).Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	check("after checkpoint")
	if err := s.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
	check("after close")
}
