package fleettest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/store/storetest"
)

// fleet is n dashboard processes on one fresh PostgreSQL database, started
// with identical configuration and keys, behind one round-robin proxy.
type fleet struct {
	bin      string
	env      []string // every replica's configuration; holds secrets, never logged
	replicas []*replica
	proxy    *proxy
	sim      *sim
}

// replica is one dashboard process.
type replica struct {
	name   string // r1, r2, …: the proxy's pin header takes the number
	addr   string // host:port it listens on
	cmd    *exec.Cmd
	logs   string // its standard error: the JSON log
	exited chan struct{}
}

// startFleet starts n replicas at once (their migrations race for the
// advisory lock, as replicas deployed together do) and waits until every
// one answers /readyz. Everything is killed when the test ends, and the
// replicas' logs are printed if it failed.
func startFleet(t *testing.T, n int, s *sim) *fleet {
	t.Helper()
	dbURL := storetest.PostgresURL(t) // dropped after the replicas are killed (cleanups run last first)
	f := &fleet{bin: dashboardBin(t), sim: s, proxy: newProxy(t)}
	sessionKey, sealKey := randomKey(t, 64), randomKey(t, 32)
	secrets := map[string]string{"the session key": sessionKey, "the encryption key": sealKey, "the password": password}
	if u, err := url.Parse(dbURL); err == nil {
		if pw, ok := u.User.Password(); ok {
			secrets["the database password"] = pw
		}
	}
	for email, tok := range s.tokens {
		secrets[email+"'s token"] = tok
	}
	f.env = append(withoutDashboardVars(os.Environ()),
		"DASHBOARD_DATABASE_URL="+dbURL,
		"DASHBOARD_SESSION_KEYS="+sessionKey,
		"DASHBOARD_ENCRYPTION_KEYS="+sealKey,
		"DASHBOARD_API_BASE_URL="+s.apiURL(),
		"DASHBOARD_PUBLIC_URL="+f.proxy.url,
		"DASHBOARD_TRUSTED_PROXIES=127.0.0.1/32",
		"DASHBOARD_LOG_FORMAT=json",
		"DASHBOARD_SHUTDOWN_DELAY=0s",
	)
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		r := &replica{name: fmt.Sprintf("r%d", i+1), exited: make(chan struct{})}
		f.replicas = append(f.replicas, r)
		wg.Go(func() { errs[i] = r.start(f.bin, f.env, filepath.Join(dir, r.name)) })
	}
	t.Cleanup(func() {
		for _, r := range f.replicas {
			r.kill()
		}
		for _, r := range f.replicas {
			r.checkNoSecret(t, secrets)
		}
		if t.Failed() {
			for _, r := range f.replicas {
				t.Logf("%s log (last lines):\n%s", r.name, tail(r.logs, 25))
			}
		}
	})
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start %s: %v", f.replicas[i].name, err)
		}
	}
	addrs := make([]string, n)
	for i, r := range f.replicas {
		addrs[i] = r.addr
	}
	f.proxy.setBackends(addrs)
	return f
}

// start runs `dashboard serve` on a free loopback port with its own data
// folder under dir, and waits until /readyz answers 200.
func (r *replica) start(bin string, env []string, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	r.logs = filepath.Join(dir, "stderr.log")
	stdout, stderr := filepath.Join(dir, "stdout.log"), r.logs
	outF, err := os.Create(stdout)
	if err != nil {
		return err
	}
	errF, err := os.Create(stderr)
	if err != nil {
		outF.Close()
		return err
	}
	r.cmd = exec.Command(bin, "serve", "-addr", "127.0.0.1:0")
	r.cmd.Env = append(slices.Clip(env), "DASHBOARD_DATA_DIR="+filepath.Join(dir, "data"))
	r.cmd.Stdout, r.cmd.Stderr = outF, errF
	if err := r.cmd.Start(); err != nil {
		outF.Close()
		errF.Close()
		return err
	}
	go func() { r.cmd.Wait(); outF.Close(); errF.Close(); close(r.exited) }()
	// The port is the kernel's choice; serve prints it on standard output.
	const banner = "dashboard listening on http://"
	c := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		select {
		case <-r.exited:
			return fmt.Errorf("exited before it was ready:\n%s", tail(stderr, 20))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready within a minute:\n%s", tail(stderr, 20))
		}
		if r.addr == "" {
			b, _ := os.ReadFile(stdout)
			if _, rest, ok := bytes.Cut(b, []byte(banner)); ok {
				if addr, _, ok := bytes.Cut(rest, []byte(" ")); ok {
					r.addr = string(addr)
				}
			}
			continue
		}
		if resp, err := c.Get("http://" + r.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
}

// kill ends the process with SIGKILL, as a crash or an OOM kill would, and
// waits for it. It does nothing to a process that already exited.
func (r *replica) kill() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	select {
	case <-r.exited:
		return
	default:
	}
	_ = r.cmd.Process.Kill()
	<-r.exited
}

// checkNoSecret fails the test if the replica's output holds a secret. It
// names the secret, never prints it.
func (r *replica) checkNoSecret(t *testing.T, secrets map[string]string) {
	t.Helper()
	for _, name := range []string{"stdout.log", "stderr.log"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(r.logs), name))
		if err != nil {
			continue
		}
		for what, secret := range secrets {
			if secret != "" && bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s's %s holds %s", r.name, name, what)
			}
		}
	}
}

// addUser creates a responder with the real admin command, `dashboard user
// add`, the password on standard input.
func (f *fleet) addUser(t *testing.T, email, password string) {
	t.Helper()
	cmd := exec.Command(f.bin, "user", "add", "--email", email, "--role", "responder", "--password-stdin")
	cmd.Env = append(slices.Clip(f.env), "DASHBOARD_DATA_DIR="+t.TempDir())
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dashboard user add --email %s: %v: %s", email, err, bytes.TrimSpace(out))
	}
}

// withoutDashboardVars drops the caller's DASHBOARD_* variables, so that a
// replica's configuration is only what the fleet sets.
func withoutDashboardVars(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "DASHBOARD_") {
			out = append(out, kv)
		}
	}
	return out
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
