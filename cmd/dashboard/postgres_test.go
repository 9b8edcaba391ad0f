package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/store/storetest"
)

// TestAdminCommandsOnPostgres runs the admin commands against a postgres://
// DASHBOARD_DATABASE_URL and reads the result back through the store.
func TestAdminCommandsOnPostgres(t *testing.T) {
	url := storetest.PostgresURL(t)
	oldKey, newKey := storetest.NewKey(t), storetest.NewKey(t)
	vars := map[string]string{"DASHBOARD_DATA_DIR": t.TempDir(), "DASHBOARD_DATABASE_URL": url, "DASHBOARD_ENCRYPTION_KEYS": oldKey}
	runCmd := func(stdin string, args ...string) (string, error) {
		env, out := testEnv(args, vars, stdin)
		err := run(context.Background(), env)
		return out.String(), err
	}
	if out, err := runCmd("long enough password\n", "user", "add", "--email", "ana@example.com", "--role", "responder", "--password-stdin"); err != nil {
		t.Fatalf("user add: %v (%s)", err, out)
	}
	if _, err := runCmd("", "user", "role", "--email", "ana@example.com", "--role", "admin"); err != nil {
		t.Fatalf("user role: %v", err)
	}
	st, err := store.OpenPostgres(context.Background(), url, storetest.Keyring(t, oldKey))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, _, err := st.UserByEmail(context.Background(), "ana@example.com")
	if err != nil || u.Role != store.RoleAdmin {
		t.Fatalf("user after the commands = %+v, %v, want an admin in PostgreSQL", u, err)
	}
	c := storetest.AddToken(t, st, u.ID, "prod", storetest.AccountA, storetest.TokenA)
	// A store open with the old key alone is a dashboard keys rotate
	// refuses to rotate under (see TestKeysRotateRefusesLaggingReplica).
	st.Close()

	vars["DASHBOARD_ENCRYPTION_KEYS"] = newKey + "," + oldKey
	if out, err := runCmd("", "keys", "rotate"); err != nil || !strings.Contains(out, "re-sealed 1 ") {
		t.Fatalf("keys rotate = %q, %v, want 1 credential re-sealed", out, err)
	}
	rotated, err := store.OpenPostgres(context.Background(), url, storetest.Keyring(t, newKey))
	if err != nil {
		t.Fatal(err)
	}
	defer rotated.Close()
	if _, secret, err := rotated.OpenCredential(context.Background(), u.ID, c.ID); err != nil || secret.Token != storetest.TokenA {
		t.Errorf("credential after keys rotate does not open with the new key alone: %v", err)
	}
}

// TestPostgresNeedsSharedEncryptionKeys: with a PostgreSQL URL and no
// DASHBOARD_ENCRYPTION_KEYS, start-up stops with a sentence naming the
// variable and generates no key of its own (each replica would make a
// different one). No server is needed: the keys are read first.
func TestPostgresNeedsSharedEncryptionKeys(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"DASHBOARD_DATA_DIR": dir, "DASHBOARD_ADDR": "127.0.0.1:0",
		"DASHBOARD_DATABASE_URL": "postgres://u:secretpw@127.0.0.1:1/x"}
	env, _ := testEnv([]string{"serve"}, vars, "")
	err := run(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), "DASHBOARD_ENCRYPTION_KEYS") || strings.Contains(err.Error(), "secretpw") {
		t.Errorf("serve with PostgreSQL and no keys = %v, want an error naming DASHBOARD_ENCRYPTION_KEYS", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "encryption.keys")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a key file was generated (stat: %v)", err)
	}
}

// TestPostgresUnreachableNamesVariable: a database that does not answer
// stops start-up with an error naming the variable, without the password.
func TestPostgresUnreachableNamesVariable(t *testing.T) {
	vars := map[string]string{"DASHBOARD_DATA_DIR": t.TempDir(), "DASHBOARD_ADDR": "127.0.0.1:0",
		"DASHBOARD_ENCRYPTION_KEYS": storetest.NewKey(t),
		"DASHBOARD_DATABASE_URL":    "postgresql://u:secretpw@127.0.0.1:1/x?connect_timeout=5"}
	env, _ := testEnv([]string{"serve"}, vars, "")
	err := run(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), "DASHBOARD_DATABASE_URL") || strings.Contains(err.Error(), "secretpw") {
		t.Errorf("serve with an unreachable database = %v, want an error naming DASHBOARD_DATABASE_URL without the password", err)
	}
}
