package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/store/storetest"
)

// TestKeysRotateRefusesLaggingReplica: while another dashboard is connected
// with a keyring that lacks the new key, or has it but not first, keys
// rotate changes nothing and exits 3 naming that connection (by pid and
// key IDs); once it serves with the new key first, the rotation runs.
func TestKeysRotateRefusesLaggingReplica(t *testing.T) {
	db := postgresRotateDB(t)
	oldKey, newKey := storetest.NewKey(t), storetest.NewKey(t)
	userID, creds := seed(t, db, oldKey, 3)
	newID := storetest.Keyring(t, newKey).NewestKeyID()
	for _, tt := range []struct{ replica, want string }{
		{oldKey, "1 dashboard connections do not name key " + newID},
		{oldKey + "," + newKey, "1 dashboard connections still seal new credentials with an older key"},
	} {
		replica := db.open(t, tt.replica)
		if err := replica.Ping(context.Background()); err != nil { // a serving replica holds a connection
			t.Fatal(err)
		}
		_, err := rotate(context.Background(), db, newKey+","+oldKey, nil)
		replica.Close()
		if exitCode(err) != exitRotateRefused || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "pid ") {
			t.Errorf("keys rotate beside a replica with keys %s = %v (exit %d), want exit %d and %q",
				storetest.Keyring(t, tt.replica).KeyIDs(), err, exitCode(err), exitRotateRefused, tt.want)
		}
		noSecrets(t, fmt.Sprint(err), oldKey, newKey)
		if got := keyUsage(t, db, oldKey)[newID]; got != 0 {
			t.Fatalf("a refused rotation re-sealed %d credentials", got)
		}
	}
	replica := db.open(t, newKey+","+oldKey)
	defer replica.Close()
	if err := replica.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	var stderr watchBuffer
	if out, err := rotate(context.Background(), db, newKey+","+oldKey, &stderr); err != nil || !strings.Contains(out, "re-sealed 3 credentials") {
		t.Fatalf("keys rotate beside a rolled replica = %q, %v\n%s", out, err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "checked 1 connections of other dashboard processes: all seal with key "+newID) {
		t.Errorf("progress does not report the check:\n%s", stderr.String())
	}
	checkAllOpen(t, db, newKey, userID, creds)
}

// TestKeysRotateSurvivesKill kills a real keys rotate process (this test
// binary, see TestKeysRotateHelperProcess) with SIGKILL as soon as it
// reports its first batch, re-sealing one credential per transaction, and
// runs keys rotate again: it finishes, every credential opens to its own
// secret with the new key alone, and the two runs re-sealed each row once.
func TestKeysRotateSurvivesKill(t *testing.T) {
	backends(t, func(t *testing.T, db rotateDB) {
		const n = 150
		oldKey, newKey := storetest.NewKey(t), storetest.NewKey(t)
		userID, creds := seed(t, db, oldKey, n)
		cmd := exec.Command(os.Args[0], "-test.run=^TestKeysRotateHelperProcess$")
		cmd.Env = append(withoutDashboardEnv(os.Environ()), "DASHBOARD_KEYS_HELPER=1", "DASHBOARD_ENCRYPTION_KEYS="+newKey+","+oldKey)
		for k, v := range db.vars {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stdout strings.Builder
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		var seen []string
		for sc.Scan() {
			seen = append(seen, sc.Text())
			if strings.Contains(sc.Text(), " re-sealed, ") {
				_ = cmd.Process.Kill()
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
		newID := storetest.Keyring(t, newKey).NewestKeyID()
		done := keyUsage(t, db, oldKey)[newID]
		switch {
		case done < 1:
			t.Fatalf("after the kill no credential is re-sealed, though the child reported a batch; it said:\n%s\n%s", strings.Join(seen, "\n"), stdout.String())
		case done == n:
			t.Skipf("the kill came after the child's last batch (a very slow machine): nothing left to resume")
		}
		t.Logf("killed after %d of %d re-sealed", done, n)
		checkAllOpen(t, db, newKey+","+oldKey, userID, creds)

		out, err := rotate(context.Background(), db, newKey+","+oldKey, nil)
		if err != nil || !strings.Contains(out, "0 left") {
			t.Fatalf("keys rotate after the kill = %q, %v", out, err)
		}
		if !strings.Contains(out, "re-sealed "+strconv.Itoa(n-done)+" credentials") {
			t.Errorf("keys rotate after the kill = %q, want the other %d re-sealed", out, n-done)
		}
		checkAllOpen(t, db, newKey, userID, creds)
	})
}

// TestKeysRotateHelperProcess is "dashboard keys rotate -batch 1" for
// TestKeysRotateSurvivesKill; it does nothing in a normal run.
func TestKeysRotateHelperProcess(t *testing.T) {
	if os.Getenv("DASHBOARD_KEYS_HELPER") != "1" {
		t.Skip("run by TestKeysRotateSurvivesKill")
	}
	env := environment{args: []string{"keys", "rotate", "-batch", "1"}, getenv: os.Getenv,
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	err := run(context.Background(), env)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(exitCode(err))
	}
	os.Exit(0)
}

// withoutDashboardEnv drops DASHBOARD_* variables from env.
func withoutDashboardEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "DASHBOARD_") {
			out = append(out, kv)
		}
	}
	return out
}
