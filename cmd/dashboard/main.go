// Command dashboard serves the bulk-jobs dashboard and administers its users.
//
//	dashboard [serve] [flags]          serve the dashboard (the default)
//	dashboard -demo                    serve against an in-process simulator with demo data
//	dashboard user add --email E --role viewer|responder|admin [--password-stdin]
//	dashboard user passwd --email E [--password-stdin]
//	dashboard user role --email E --role R
//	dashboard user disable --email E [--enable]
//	dashboard keys rotate              re-seal every stored credential with the newest key
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
		os.Exit(1)
	}
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
  dashboard keys rotate
Configuration comes from DASHBOARD_* environment variables (see README); flags override them.`
