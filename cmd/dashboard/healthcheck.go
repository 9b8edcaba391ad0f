package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/respond/bulkjobs/web"
)

// healthcheck handles "dashboard healthcheck": it GETs /readyz (or /healthz
// with -path) from the dashboard listening at DASHBOARD_ADDR on this host,
// and succeeds on a 200 only. It is the container's HEALTHCHECK: the
// distroless image has no shell and no curl. An unspecified listen address
// (0.0.0.0, ::) is reached on loopback.
func healthcheck(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	getenv := configFlags(fs, env.getenv)
	path := fs.String("path", "/readyz", "/readyz (ready for traffic: 503 while draining or without the database) or /healthz (the process answers)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path != "/readyz" && *path != "/healthz" {
		return errors.New("healthcheck: -path must be /readyz or /healthz")
	}
	addr := strings.TrimSpace(getenv("DASHBOARD_ADDR"))
	if addr == "" {
		addr = web.DefaultAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: DASHBOARD_ADDR: %q is not host:port", addr)
	}
	if ip, err := netip.ParseAddr(host); host == "" || err == nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if err == nil && ip.Is6() {
			host = "::1"
		}
	}
	url := "http://" + net.JoinHostPort(host, port) + *path
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	line, _ := bufio.NewReader(io.LimitReader(resp.Body, 200)).ReadString('\n')
	line = strings.TrimSpace(line)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s: %d %s", url, resp.StatusCode, line)
	}
	fmt.Fprintf(env.stdout, "GET %s: %d %s\n", url, resp.StatusCode, line)
	return nil
}
