package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testEnv returns an environment whose variables come from vars.
func testEnv(args []string, vars map[string]string, stdin string) (environment, *bytes.Buffer) {
	out := &bytes.Buffer{}
	return environment{
		args:   args,
		getenv: func(k string) string { return vars[k] },
		stdin:  strings.NewReader(stdin),
		stdout: out,
		stderr: io.Discard,
	}, out
}

func TestDemoServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	env, out := testEnv([]string{"-demo", "-addr", "127.0.0.1:0"}, map[string]string{"DASHBOARD_DATA_DIR": t.TempDir()}, "")
	env.ready = func(addr string) { addrc <- addr }
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, env) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-errc:
		t.Fatalf("run() = %v before listening", err)
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not start")
	}
	base := "http://" + addr
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := between(string(body), `name="csrf" value="`, `"`)
	form := url.Values{"email": {demoResponder}, "password": {demoResponderPassword}, "csrf": {csrf}}
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err = c.Do(req) // follows the redirect to the first account's jobs
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `data-testid="job-card"`) {
		t.Fatalf("after demo login: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	if !strings.Contains(out.String(), demoResponderPassword) || !strings.Contains(out.String(), base) {
		t.Errorf("banner lacks the URL or the demo logins:\n%s", out)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("run() after shutdown = %v", err)
	}
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	return s[:strings.Index(s, end)]
}

func TestDemoRefusesPublicAddress(t *testing.T) {
	env, _ := testEnv([]string{"-demo", "-addr", "0.0.0.0:0"}, map[string]string{}, "")
	err := run(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("run(-demo -addr 0.0.0.0:0) = %v, want a loopback refusal", err)
	}
}

func TestBadConfigNamesVariable(t *testing.T) {
	for name, value := range map[string]string{
		"DASHBOARD_ADDR":             "no-port",
		"DASHBOARD_LOG_FORMAT":       "xml",
		"DASHBOARD_SESSION_KEYS":     "c2hvcnQ=",
		"DASHBOARD_SESSION_IDLE":     "-5m",
		"DASHBOARD_PUBLIC_URL":       "ftp://x",
		"DASHBOARD_DATABASE_URL":     "mysql://u:secretpw@db/x",
		"DASHBOARD_API_BASE_URL":     "not a url",
		"DASHBOARD_ENCRYPTION_KEYS":  "bm90IDMyIGJ5dGVz",
		"DASHBOARD_SHUTDOWN_TIMEOUT": "10s", // shorter than a cancel (15s + 5s read-back)
		"DASHBOARD_SHUTDOWN_DELAY":   "-1s",
	} {
		vars := map[string]string{"DASHBOARD_DATA_DIR": t.TempDir(), "DASHBOARD_ADDR": "127.0.0.1:0", name: value}
		env, _ := testEnv([]string{"serve"}, vars, "")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := run(ctx, env)
		cancel()
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: run() = %v, want an error naming the variable", name, value, err)
		}
		if err != nil && strings.Contains(err.Error(), "secretpw") {
			t.Errorf("%s: error reveals a password: %v", name, err)
		}
	}
}

func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"DASHBOARD_DATA_DIR": dir}
	runCmd := func(stdin string, args ...string) (string, error) {
		env, out := testEnv(args, vars, stdin)
		err := run(context.Background(), env)
		return out.String(), err
	}
	if _, err := runCmd("long enough password\n", "user", "add", "--email", "ana@example.com", "--role", "responder", "--password-stdin"); err != nil {
		t.Fatalf("user add: %v", err)
	}
	if _, err := runCmd("long enough password\n", "user", "add", "--email", "ANA@example.com", "--role", "viewer", "--password-stdin"); err == nil {
		t.Error("duplicate user add succeeded")
	}
	if _, err := runCmd("short\n", "user", "add", "--email", "bo@example.com", "--role", "viewer", "--password-stdin"); err == nil {
		t.Error("short password accepted")
	}
	if _, err := runCmd("", "user", "role", "--email", "ana@example.com", "--role", "superuser"); err == nil {
		t.Error("unknown role accepted")
	}
	for _, args := range [][]string{
		{"user", "role", "--email", "ana@example.com", "--role", "admin"},
		{"user", "disable", "--email", "ana@example.com"},
		{"user", "disable", "--email", "ana@example.com", "--enable"},
		{"keys", "rotate"},
	} {
		if out, err := runCmd("", args...); err != nil {
			t.Errorf("%v: %v (%s)", args, err, out)
		}
	}
	if _, err := runCmd("another long password\n", "user", "passwd", "--email", "ana@example.com", "--password-stdin"); err != nil {
		t.Errorf("user passwd: %v", err)
	}
	if _, err := runCmd("", "user", "passwd", "--email", "ghost@example.com", "--password-stdin"); err == nil {
		t.Error("passwd for an unknown user succeeded")
	}
	// Keys were generated with mode 0600 and are reused, never regenerated.
	for _, name := range []string{"encryption.keys"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v", name, err, fi.Mode())
		}
	}
}
