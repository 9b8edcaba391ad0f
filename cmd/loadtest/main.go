// Command loadtest measures the dashboard under analysts' real traffic, on
// loopback only.
//
//	go run ./cmd/loadtest -analysts 20 -tabs 3 -duration 1m
//
// By default it starts everything itself: the Cloudflare simulator in this
// process (apiclient/cfsim, the demo data plus -running-jobs jobs that keep
// running for the whole test, one token per analyst, Cloudflare's 1200
// requests per 5 minutes, so 429s are real), and the dashboard as a child
// process (built with `go build` unless -dashboard-bin names a binary) with a
// fresh data folder. Analysts are created with `dashboard user add`, then each
// one logs in through the login page and adds its token through the
// credentials page, as a browser does; all log in within -login-window. Each
// opens -tabs tabs, a -mix fraction of them job pages of running jobs and the
// rest the account's job list, and polls exactly as htmx does on those pages
// (tabs.go). A goroutine calls the simulator directly at a low rate with its
// own token, and the dashboard's /healthz, for the floor. After -duration of
// steady state it prints latencies, errors, upstream calls per token, 429s,
// the dashboard's RSS and CPU (report.go).
//
// To target processes that are already running (all on loopback):
//
//	-dashboard URL    a running dashboard. Its analysts are either created with
//	                  `dashboard user add` in its data folder (-data-dir DIR,
//	                  the dashboard's DASHBOARD_DATA_DIR) or read from -users.
//	                  Its RSS and CPU are read when -dashboard-pid is given.
//	                  Unless -sim is given, the dashboard's DASHBOARD_API_BASE_URL
//	                  must be http://<-sim-addr>/client/v4, where this tool
//	                  serves its simulator.
//	-sim URL          a running simulator (cmd/cfsim) instead of the in-process
//	                  one. Tokens come from -users, the floor's from
//	                  -floor-token; upstream calls are counted from its request
//	                  log (start it with -admin), per principal name.
//	-users FILE       one analyst per line: "email password [token]" (the
//	                  token is needed with -sim). Blank lines and lines starting
//	                  with # are skipped. The file's analysts replace -analysts.
//
// Several replicas on one PostgreSQL (all on loopback):
//
//	-database-url URL  a PostgreSQL server where the tool may create a
//	                  database: it creates loadtest_<random> there, runs the
//	                  dashboards on it with one shared encryption key and
//	                  session key, and drops it at the end.
//	-replicas N       how many dashboard processes (default 1), each with its
//	                  own port and data folder, behind a round-robin reverse
//	                  proxy in this process that sends every request to the
//	                  next replica (Host kept, X-Forwarded-For set and trusted).
//	                  The report adds each replica's requests, RSS and CPU.
//
// The tool stops by itself: every tab stops at the end of the run and sends at
// most a bounded number of requests. It stops the child dashboard and removes
// its temporary folder on exit or Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := mainErr(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	Analysts     int
	Tabs         int
	Duration     time.Duration
	Mix          float64
	LoginWindow  time.Duration
	RunningJobs  int
	PerPage      int
	SharedToken  bool
	Seed         uint64
	FloorRate    float64
	DashboardBin string
	Dashboard    string
	DashboardPID int
	DataDir      string
	Users        string
	Sim          string
	SimAddr      string
	FloorToken   string
	JSON         bool
	Replicas     int
	DatabaseURL  string

	// startDashboard replaces the child process (tests run the dashboard
	// in-process). It gets the simulator's base URL.
	startDashboard func(ctx context.Context, simURL string) (*dashboard, error)
	// log receives progress lines.
	log io.Writer
}

// mainErr parses args, runs the test and prints the report.
func mainErr(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	opts.log = stderr
	rep, err := run(ctx, opts)
	if rep != nil {
		rep.Command = commandLine(args)
		if opts.JSON {
			if werr := rep.writeJSON(stdout); werr != nil && err == nil {
				err = werr
			}
		} else {
			rep.writeText(stdout)
		}
	}
	return err
}

// parseFlags reads and checks the flags.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Analysts, "analysts", 10, "number of analysts, each with its own token")
	fs.IntVar(&o.Tabs, "tabs", 3, "tabs per analyst")
	fs.DurationVar(&o.Duration, "duration", time.Minute, "how long to run once every analyst is logged in")
	fs.Float64Var(&o.Mix, "mix", 0.5, "fraction of tabs that are job pages (the rest are job lists)")
	fs.DurationVar(&o.LoginWindow, "login-window", 10*time.Second, "analysts start logging in spread over this window")
	fs.IntVar(&o.RunningJobs, "running-jobs", 20, "running jobs added to the in-process simulator for job tabs")
	fs.IntVar(&o.PerPage, "per-page", 20, "page size of list tabs (20, 50 or 100)")
	fs.BoolVar(&o.SharedToken, "shared-token", false, "analysts share tokens in pairs (to check two cost as much as one)")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed for the simulator, job IDs and start jitter")
	fs.Float64Var(&o.FloorRate, "floor-rate", 2, "direct upstream calls per second for the floor (and as many /healthz)")
	fs.StringVar(&o.DashboardBin, "dashboard-bin", "", "dashboard binary (default: go build ./cmd/dashboard into a temporary folder)")
	fs.StringVar(&o.Dashboard, "dashboard", "", "URL of a running dashboard to target instead of starting one")
	fs.IntVar(&o.DashboardPID, "dashboard-pid", 0, "with -dashboard: its process ID, to read RSS and CPU")
	fs.StringVar(&o.DataDir, "data-dir", "", "with -dashboard: its data folder, to create analysts with `dashboard user add`")
	fs.StringVar(&o.Users, "users", "", "file of analysts, one \"email password [token]\" per line")
	fs.StringVar(&o.Sim, "sim", "", "URL of a running simulator (cmd/cfsim -admin) instead of the in-process one")
	fs.StringVar(&o.SimAddr, "sim-addr", "127.0.0.1:0", "listen address of the in-process simulator")
	fs.StringVar(&o.FloorToken, "floor-token", "", "with -sim: the token of the floor's direct calls")
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON")
	fs.IntVar(&o.Replicas, "replicas", 1, "with -database-url: dashboard processes behind a round-robin proxy in this tool")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "postgres:// URL of a loopback PostgreSQL server where the tool may create a database for the replicas (dropped at the end)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return o, o.check()
}

// check rejects flag combinations that cannot work, with the reason.
func (o options) check() error {
	switch {
	case o.Users == "" && (o.Analysts < 1 || o.Analysts > 5000):
		return errors.New("-analysts must be from 1 to 5000")
	case o.Tabs < 1 || o.Tabs > 50:
		return errors.New("-tabs must be from 1 to 50")
	case o.Duration < time.Second || o.Duration > 2*time.Hour:
		return errors.New("-duration must be from 1s to 2h")
	case o.Mix < 0 || o.Mix > 1:
		return errors.New("-mix must be from 0 to 1")
	case o.LoginWindow < 0 || o.LoginWindow > 10*time.Minute:
		return errors.New("-login-window must be from 0 to 10m")
	case o.RunningJobs < 0 || o.RunningJobs > 500:
		return errors.New("-running-jobs must be from 0 to 500")
	case o.PerPage != 20 && o.PerPage != 50 && o.PerPage != 100:
		return errors.New("-per-page must be 20, 50 or 100 (the page sizes the list offers)")
	case o.FloorRate <= 0 || o.FloorRate > 3:
		return errors.New("-floor-rate must be above 0 and at most 3 per second (the floor's token has 4 per second)")
	case o.Dashboard == "" && (o.DashboardPID != 0 || o.DataDir != ""):
		return errors.New("-dashboard-pid and -data-dir apply only with -dashboard")
	case o.Dashboard != "" && o.DashboardBin != "" && o.DataDir == "":
		return errors.New("-dashboard-bin with -dashboard is used only to create analysts: give -data-dir too")
	case o.Dashboard != "" && o.DataDir == "" && o.Users == "":
		return errors.New("with -dashboard, give -data-dir (the tool creates the analysts) or -users (they exist)")
	case o.Sim != "" && o.Users == "":
		return errors.New("with -sim, give -users with a token per analyst")
	case o.Sim != "" && o.FloorToken == "":
		return errors.New("with -sim, give -floor-token for the floor's direct calls")
	case o.Sim == "" && o.FloorToken != "":
		return errors.New("-floor-token applies only with -sim")
	case o.Replicas < 1 || o.Replicas > 8:
		return errors.New("-replicas must be from 1 to 8")
	case o.Replicas > 1 && o.DatabaseURL == "":
		return errors.New("-replicas above 1 needs -database-url postgres://…: the replicas share one PostgreSQL")
	case o.DatabaseURL != "" && o.Dashboard != "":
		return errors.New("-database-url starts the dashboards itself: it does not go with -dashboard")
	}
	if o.DatabaseURL != "" {
		if err := loopbackPostgres(o.DatabaseURL); err != nil {
			return fmt.Errorf("-database-url: %w", err)
		}
	}
	for _, u := range []struct{ flag, url string }{{"-dashboard", o.Dashboard}, {"-sim", o.Sim}} {
		if u.url != "" {
			if err := loopbackURL(u.url); err != nil {
				return fmt.Errorf("%s: %w", u.flag, err)
			}
		}
	}
	return loopbackAddr(o.SimAddr)
}

// commandLine is the command as run, with the value of -floor-token (a
// secret) left out and the password of -database-url hidden.
func commandLine(args []string) string {
	hide := map[string]func(string) string{
		"floor-token":  func(string) string { return "[redacted]" },
		"database-url": redactURL,
	}
	out := []string{"loadtest"}
	var redact func(string) string
	for _, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case redact != nil:
			a, redact = redact(a), nil
		case strings.HasPrefix(a, "-") && hide[name] != nil && hasValue:
			a = a[:strings.IndexByte(a, '=')+1] + hide[name](value)
		case strings.HasPrefix(a, "-") && hide[name] != nil:
			redact = hide[name]
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}
