package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// dashboard is the process under test.
type dashboard struct {
	url string
	// pid is the process whose RSS and CPU are read; 0 when unknown.
	pid int
	// addUser creates a responder; nil when the analysts already exist.
	addUser func(ctx context.Context, email, password string) error
	close   func()
	// replicas are the processes behind url when the tool runs several
	// (-replicas, -database-url); url is then its round-robin proxy.
	replicas []replica
}

// dashboardPackage is what -dashboard-bin defaults to building.
const dashboardPackage = "github.com/respond/bulkjobs/cmd/dashboard"

// buildDashboard runs `go build` into dir and returns the binary's path.
func buildDashboard(ctx context.Context, o options, dir string) (string, error) {
	if o.DashboardBin != "" {
		return o.DashboardBin, nil
	}
	bin := filepath.Join(dir, "dashboard")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, dashboardPackage)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s (run from the repository, or give -dashboard-bin): %v\n%s", dashboardPackage, err, out.String())
	}
	fmt.Fprintf(o.log, "loadtest: built the dashboard in %s\n", time.Since(start).Round(100*time.Millisecond))
	return bin, nil
}

// startChild starts the dashboard binary with a fresh data folder under dir,
// on a free loopback port, calling the simulator at simAPI.
func startChild(ctx context.Context, o options, bin, dir, simAPI string) (*dashboard, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	env := append(withoutDashboardVars(os.Environ()),
		"DASHBOARD_ADDR="+addr,
		"DASHBOARD_PUBLIC_URL=http://"+addr,
		"DASHBOARD_API_BASE_URL="+simAPI,
		"DASHBOARD_DATA_DIR="+filepath.Join(dir, "data"),
		"DASHBOARD_LOG_FORMAT=json",
		"DASHBOARD_SHUTDOWN_DELAY=0s",
	)
	return spawn(ctx, bin, env, "http://"+addr, filepath.Join(dir, "dashboard.log"))
}

// spawn runs `bin serve` with env, its output in logPath, and waits until
// url/readyz answers 200. Closing the dashboard stops the process.
func spawn(ctx context.Context, bin string, env []string, url, logPath string) (*dashboard, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logFile, logFile
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logFile.Close(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	d := &dashboard{url: url, pid: cmd.Process.Pid, close: stop, addUser: cliAddUser(bin, env)}
	if err := waitReady(ctx, d.url, exited); err != nil {
		stop()
		return nil, fmt.Errorf("%w\n%s", err, tail(logPath, 20))
	}
	return d, nil
}

// targetDashboard is a dashboard the tool did not start.
func targetDashboard(ctx context.Context, o options, dir string) (*dashboard, error) {
	d := &dashboard{url: strings.TrimSuffix(o.Dashboard, "/"), pid: o.DashboardPID, close: func() {}}
	if o.DataDir != "" {
		bin, err := buildDashboard(ctx, o, dir)
		if err != nil {
			return nil, err
		}
		// Keep the caller's DASHBOARD_* settings: the running dashboard may
		// take its database or keys from them.
		d.addUser = cliAddUser(bin, append(os.Environ(), "DASHBOARD_DATA_DIR="+o.DataDir))
	}
	if err := waitReady(ctx, d.url, nil); err != nil {
		return nil, err
	}
	return d, nil
}

// cliAddUser creates a responder with `dashboard user add`, the password on
// standard input.
func cliAddUser(bin string, env []string) func(ctx context.Context, email, password string) error {
	return func(ctx context.Context, email, password string) error {
		cmd := exec.CommandContext(ctx, bin, "user", "add", "--email", email, "--role", "responder", "--password-stdin")
		cmd.Env = env
		cmd.Stdin = strings.NewReader(password + "\n")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("dashboard user add --email %s: %v: %s", email, err, strings.TrimSpace(out.String()))
		}
		return nil
	}
}

// waitReady polls /readyz until it answers 200, the process exits or a
// minute passes.
func waitReady(ctx context.Context, base string, exited <-chan struct{}) error {
	deadline := time.Now().Add(time.Minute)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return errors.New("the dashboard exited before it was ready")
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s/readyz did not answer 200 within a minute", base)
		}
	}
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before the dashboard binds it; startChild then fails clearly.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// withoutDashboardVars drops DASHBOARD_* variables, so that the child's
// configuration is only what the tool sets.
func withoutDashboardVars(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "DASHBOARD_") {
			out = append(out, kv)
		}
	}
	return out
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "dashboard log (last lines):\n" + strings.Join(lines, "\n")
}
