package main

import (
	"bytes"
	"context"
	"io"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web/webtest"
)

// testOptions is a short run: 2 analysts × 2 tabs (one list, one job page
// each), long enough for job pages to poll their cards once or twice (which
// is logged, not required: tabs start at random in the first second).
func testOptions(t *testing.T) options {
	return options{
		Analysts: 2, Tabs: 2, Duration: 5 * time.Second, Mix: 0.5, RunningJobs: 4,
		PerPage: 20, Seed: 1, FloorRate: 2, SimAddr: "127.0.0.1:0", log: testLog{t},
	}
}

// checkReport asserts what every run must show: requests and polls made,
// no errors, and upstream calls read for each analyst's token.
func checkReport(t *testing.T, rep *report) {
	t.Helper()
	var out bytes.Buffer
	rep.writeText(&out)
	t.Log("\n" + out.String())
	if rep.AnalystsReady != 2 || rep.ListTabs != 2 || rep.JobTabs != 2 {
		t.Errorf("ready %d, list tabs %d, job tabs %d; want 2, 2, 2", rep.AnalystsReady, rep.ListTabs, rep.JobTabs)
	}
	if rep.Dashboard.N == 0 || rep.Upstream.N == 0 || rep.Kinds[kHealthz.String()].N == 0 {
		t.Errorf("want tab requests, floor calls and /healthz; got %d, %d, %d",
			rep.Dashboard.N, rep.Upstream.N, rep.Kinds[kHealthz.String()].N)
	}
	if rep.ErrorCount != 0 {
		t.Errorf("errors: %v", rep.Errors)
	}
	if rep.Calls.Tokens != 2 || rep.Calls.Per5MinMax <= 0 || rep.Calls.ByEndpoint["get"]+rep.Calls.ByEndpoint["list"] == 0 {
		t.Errorf("upstream counts not read: %+v", rep.Calls)
	}
	if rep.Calls.TooMany != 0 {
		t.Errorf("%d 429s in a tiny run", rep.Calls.TooMany)
	}
	if bytes.Contains(out.Bytes(), []byte("loadtest-")) {
		t.Error("the report shows a token")
	}
}

// TestRunInProcess runs the tool against the real Echo app and store in
// this process (web/webtest), so it needs no build. The app's guard runs on
// webtest's fake clock, so its cache never expires: the upstream figures of
// this run mean nothing, only that they were counted.
func TestRunInProcess(t *testing.T) {
	o := testOptions(t)
	o.startDashboard = func(ctx context.Context, simURL string) (*dashboard, error) {
		u, err := url.Parse(strings.TrimSuffix(simURL, "/client/v4"))
		if err != nil {
			return nil, err
		}
		app := webtest.New(t, webtest.Options{Upstream: httputil.NewSingleHostReverseProxy(u)})
		hasher, err := store.NewHasher(store.TestParams())
		if err != nil {
			return nil, err
		}
		return &dashboard{url: app.URL, close: func() {}, addUser: func(ctx context.Context, email, pw string) error {
			hash, err := hasher.Hash(pw)
			if err != nil {
				return err
			}
			_, err = app.Store.CreateUser(ctx, email, store.RoleResponder, hash)
			return err
		}}, nil
	}
	rep, err := run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep)
}

// TestRunBinary builds the dashboard and runs it as a child process, as the
// command does: users created with `dashboard user add`, RSS and CPU read
// from /proc.
func TestRunBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the dashboard binary")
	}
	o := testOptions(t)
	rep, err := run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep)
	if rep.DashboardPID == 0 || rep.Memory == nil || rep.Memory.PeakMiB <= 0 || rep.CPU == nil {
		t.Errorf("RSS and CPU not read: pid %d, memory %+v, cpu %+v", rep.DashboardPID, rep.Memory, rep.CPU)
	}
}

// TestFlags checks that bad combinations are refused with a reason, and
// that only loopback targets are accepted.
func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-analysts", "0"}, "-analysts"},
		{[]string{"-mix", "2"}, "-mix"},
		{[]string{"-per-page", "30"}, "-per-page"},
		{[]string{"-dashboard", "http://10.0.0.1:8080", "-users", "f"}, "loopback"},
		{[]string{"-dashboard", "http://127.0.0.1:8080"}, "-data-dir"},
		{[]string{"-sim", "http://127.0.0.1:8787"}, "-users"},
		{[]string{"-sim-addr", "0.0.0.0:8787"}, "loopback"},
		{[]string{"-data-dir", "/tmp/x"}, "only with -dashboard"},
		{[]string{"-replicas", "2"}, "-database-url"},
		{[]string{"-replicas", "9", "-database-url", "postgres://u:p@127.0.0.1/x"}, "-replicas"},
		{[]string{"-database-url", "postgres://u:p@10.0.0.1/x"}, "loopback"},
		{[]string{"-database-url", "mysql://u:p@127.0.0.1/x"}, "postgres://"},
		{[]string{"-database-url", "postgres://u:p@127.0.0.1/x", "-dashboard", "http://127.0.0.1:1", "-users", "f"}, "-dashboard"},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
	if _, err := parseFlags([]string{"-dashboard", "http://localhost:8080", "-users", "f"}, io.Discard); err != nil {
		t.Errorf("localhost refused: %v", err)
	}
}

func TestCommandLineHidesTheFloorToken(t *testing.T) {
	got := commandLine([]string{"-sim", "http://127.0.0.1:1", "-floor-token", "s3cret", "--floor-token=s3cret",
		"-database-url", "postgres://u:s3cret@127.0.0.1/x", "-database-url=postgres://u:s3cret@127.0.0.1/x", "-json"})
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "postgres://u:xxxxx@127.0.0.1/x") || !strings.Contains(got, "-sim http://127.0.0.1:1") || !strings.HasSuffix(got, "-json") {
		t.Errorf("command line %q", got)
	}
}

// testLog sends the tool's progress lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
