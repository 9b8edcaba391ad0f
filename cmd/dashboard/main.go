// Command dashboard serves the bulk-jobs dashboard and administers its users.
//
//	dashboard [serve] [flags]          serve the dashboard (the default)
//	dashboard -demo                    serve against an in-process simulator with demo data
//	dashboard user add --email E --role viewer|responder|admin [--password-stdin]
//	dashboard user passwd --email E [--password-stdin]
//	dashboard user role --email E --role R
//	dashboard user disable --email E [--enable]
//	dashboard keys rotate [-batch N]   re-seal every stored credential with the newest key
//	dashboard healthcheck [-path P]    GET /readyz on DASHBOARD_ADDR; exit 0 on 200 (for HEALTHCHECK)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := environment{args: os.Args[1:], getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	if err := run(ctx, env); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "dashboard:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitError is an error that asks for an exit status other than 1, for
// scripts (keys rotate, healthcheck).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitCode is the process's exit status for err: an exitError's code, else 1.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// environment is everything run takes from the process, so tests can call it.
type environment struct {
	args   []string
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// ready, when set, receives the listening address once the server accepts
	// connections (tests use it).
	ready func(addr string)
	// metricsReady, when set, receives the metrics listener's address.
	metricsReady func(addr string)
}

// run dispatches the subcommand.
func run(ctx context.Context, env environment) error {
	args := env.args
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			return serve(ctx, env, args[1:])
		case "user":
			return userCommand(ctx, env, args[1:])
		case "keys":
			return keysCommand(ctx, env, args[1:])
		case "healthcheck":
			return healthcheck(ctx, env, args[1:])
		case "help", "-h", "--help":
			fmt.Fprintln(env.stdout, usage)
			return nil
		}
	}
	return serve(ctx, env, args)
}

const usage = `usage:
  dashboard [serve] [-demo] [-addr HOST:PORT] [flags]
  dashboard user add --email E --role viewer|responder|admin [--password-stdin]
  dashboard user passwd --email E [--password-stdin]
  dashboard user role --email E --role viewer|responder|admin
  dashboard user disable --email E [--enable]
  dashboard keys rotate [-batch N]   exit 0: done; 1: failed or interrupted, run again;
                                     3: refused, nothing changed; 4: credentials left on older keys, run again
  dashboard healthcheck [-path /readyz|/healthz]
Configuration comes from DASHBOARD_* environment variables (see README); flags override them.`
