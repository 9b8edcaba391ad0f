// Command cfsim serves the Cloudflare Email Security bulk-jobs simulator
// (package apiclient/cfsim) for demos, manual testing and load tests.
//
// Usage:
//
//	cfsim [-addr 127.0.0.1:8787] [-config FILE] [-shape old|new] [-admin] [-seed N]
//
// Without -config it serves the demo data (cfsim.DemoConfig) and prints the
// demo tokens and accounts. It stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/respond/bulkjobs/apiclient/cfsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cfsim:", err)
		os.Exit(1)
	}
}

// run parses args, starts the simulator and serves until ctx ends.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("cfsim", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8787", "listen `address`")
	configPath := fs.String("config", "", "JSON config `file` (default: the built-in demo data)")
	shape := fs.String("shape", "", "job shape, `old` (14 fields) or new (16 fields); overrides the config")
	admin := fs.Bool("admin", false, "serve the /__admin/ fault and request-log endpoints")
	seed := fs.Uint64("seed", 0, "random `seed`; overrides the config")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	cfg, demo, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	switch *shape {
	case "":
	case "new":
		cfg.Shape = cfsim.ShapeNew
	case "old":
		cfg.Shape = cfsim.ShapeOld
	default:
		return fmt.Errorf("-shape must be old or new, not %q", *shape)
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "seed" {
			cfg.Seed = *seed
		}
	})
	cfg.EnableAdmin = cfg.EnableAdmin || *admin
	sim, err := cfsim.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           sim,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // room for injected latency
		IdleTimeout:       2 * time.Minute,
	}
	banner(stdout, ln.Addr().String(), sim.Config(), demo)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stdout, "cfsim: stopped")
	return nil
}

// loadConfig reads the config file, or returns the demo data when path is
// empty.
func loadConfig(path string) (cfsim.Config, bool, error) {
	if path == "" {
		return cfsim.DemoConfig(time.Now()), true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return cfsim.Config{}, false, err
	}
	defer f.Close()
	cfg, err := cfsim.LoadConfig(f)
	if err != nil {
		return cfsim.Config{}, false, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, false, nil
}

// banner prints the base URL and, in demo mode, the demo credentials.
func banner(w io.Writer, addr string, cfg cfsim.Config, demo bool) {
	base := "http://" + addr + "/client/v4"
	admin := "off"
	if cfg.EnableAdmin {
		admin = "on (http://" + addr + "/__admin/)"
	}
	fmt.Fprintln(w, "cfsim: Cloudflare Email Security bulk-jobs simulator")
	fmt.Fprintln(w, "base URL:", base)
	fmt.Fprintf(w, "shape: %s, step: %s, rate limit: %d per %s, admin: %s\n",
		cfg.Shape, cfg.Step, cfg.RateLimit, cfg.RateWindow, admin)
	if !demo {
		return
	}
	fmt.Fprintln(w, "demo accounts:")
	fmt.Fprintf(w, "  %s (jobs in every state)\n  %s\n", cfsim.DemoAccountID, cfsim.DemoSecondAccountID)
	fmt.Fprintln(w, "demo credentials (fake, for this simulator only):")
	fmt.Fprintf(w, "  read-only token:  %s\n", cfsim.DemoReadToken)
	fmt.Fprintf(w, "  read-write token: %s\n", cfsim.DemoWriteToken)
	fmt.Fprintf(w, "  legacy key:       X-Auth-Email: %s  X-Auth-Key: %s (write on %s only)\n",
		cfsim.DemoLegacyEmail, cfsim.DemoLegacyKey, cfsim.DemoAccountID)
	fmt.Fprintf(w, "try: curl -H 'Authorization: Bearer %s' %s/accounts/%s/email-security/investigate/bulk\n",
		cfsim.DemoReadToken, base, cfsim.DemoAccountID)
}
