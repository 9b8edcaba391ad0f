package cfsim

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestLoadExampleConfig(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/example-config.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := LoadConfig(f)
	if err != nil {
		t.Fatalf("LoadConfig() error = %v", err)
	}
	const other = "5a1b2c3d4e5f60718293a4b5c6d7e8f9"
	wantHead := Config{
		Shape: ShapeNew, Seed: 42, Step: 500 * time.Millisecond, EnableAdmin: true,
		RateLimit: 1200, RateWindow: 5 * time.Minute, RateBlock: 5 * time.Minute,
		Accounts: []string{acct, other},
		Principals: []Principal{
			{Name: "responder", Token: "example-responder-token-0000000000000000", Accounts: map[string]Permission{acct: PermWrite, other: PermRead}},
			{Name: "viewer", Token: "example-viewer-token-0000000000000000000", Accounts: map[string]Permission{acct: PermRead}},
			{Name: "legacy-admin", Email: "secops@customer.example", Key: "0123456789abcdef0123456789abcdef01234", Accounts: map[string]Permission{acct: PermWrite}},
		},
	}
	if diff := cmp.Diff(wantHead, cfg, cmpopts.IgnoreFields(Config{}, "Jobs")); diff != "" {
		t.Errorf("LoadConfig() (-want +got):\n%s", diff)
	}
	if len(cfg.Jobs) != 4 || cfg.Jobs[0].Plan == nil || cfg.Jobs[0].Plan.ProcessPerStep != 2 ||
		cfg.Jobs[0].SearchParams.Sender != "promo@bulk-sender.example" || !cfg.Jobs[0].SearchParams.DetectionsOnly {
		t.Fatalf("jobs = %+v, want the four example jobs", cfg.Jobs)
	}
	clock := NewFakeClock(time.Date(2026, 7, 8, 9, 16, 0, 0, time.UTC))
	cfg.Clock = clock
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New(example) error = %v", err)
	}
	ts := &tsim{t: t, s: s, clock: clock}
	code, env := ts.as("example-responder-token-0000000000000000", "GET", jobsPath(acct), "")
	if jobs := decodeInto[[]tJob](t, env.Result); code != 200 || len(jobs) != 3 {
		t.Errorf("responder list = %d with %d jobs, want 200 with 3", code, len(jobs))
	}
	if code, _ := ts.as("example-viewer-token-0000000000000000000", "POST", jobsPath(acct), `{"action":"RELEASE","search_params":{}}`); code != 403 {
		t.Errorf("viewer create = %d, want 403", code)
	}
	rec := ts.do("GET", jobPath(other, "0e1f2a3b-4c5d-4e6f-9a0b-1c2d3e4f5a6b"), "",
		"X-Auth-Email", "secops@customer.example", "X-Auth-Key", "0123456789abcdef0123456789abcdef01234")
	if rec.Code != http.StatusForbidden {
		t.Errorf("legacy on the other account = %d, want 403", rec.Code)
	}
	clock.Advance(time.Hour)
	for _, id := range []string{"3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e42", "c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f"} {
		if st, _ := s.Job(acct, id); !isTerminal(st.Status) || !st.Invariant() {
			t.Errorf("job %s after an hour = %+v, want terminal", id, st)
		}
	}
	if st, _ := s.Job(acct, "c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f"); st.Status != StatusFailed {
		t.Errorf("planned-to-fail job ended %s, want FAILED", st.Status)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	job := `"account":"` + acct + `","job_id":"` + testJobID(1) + `","action":"RELEASE","status":"PENDING"`
	tests := []struct {
		name, json, wantErr string
	}{
		{"unknown top-level key", `{"shpe":"old"}`, `unknown field "shpe"`},
		{"unknown principal key", `{"principals":[{"name":"a","token":"t","role":"x"}]}`, `unknown field "role"`},
		{"unknown job key", `{"jobs":[{` + job + `,"owner":"x"}]}`, `unknown field "owner"`},
		{"unknown plan key", `{"jobs":[{` + job + `,"plan":{"speed":2}}]}`, `unknown field "speed"`},
		{"unknown rate key", `{"rate_limit":{"per":"5m"}}`, `unknown field "per"`},
		{"unknown search key", `{"jobs":[{` + job + `,"search_params":{"from":"x"}}]}`, `search_params/from: unknown field`},
		{"bad search enum", `{"jobs":[{` + job + `,"search_params":{"final_disposition":"HAM"}}]}`, `search_params/final_disposition`},
		{"bad shape", `{"shape":"older"}`, `shape must be "old" or "new"`},
		{"bad permission", `{"principals":[{"name":"a","token":"t","accounts":{"` + acct + `":"admin"}}]}`, `permission must be "read" or "write"`},
		{"bad duration", `{"step":"fast"}`, `bad duration "fast"`},
		{"numeric duration", `{"step":1}`, `duration must be a string`},
		{"broken counters", `{"jobs":[{` + job + `,"total_messages_discovered":3}]}`, `jobs[0]`},
		{"trailing data", `{} {}`, `trailing data`},
		{"not json", `shape: old`, `invalid character`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(strings.NewReader(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("LoadConfig() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewRejectsBadSeeds(t *testing.T) {
	t.Parallel()
	upper := seedJob(1, StatusPending)
	upper.ID = strings.ToUpper("abcdef00-0000-4000-8000-000000000001")
	noDest := seedJob(1, StatusPending)
	noDest.Destination = ""
	relDest := seedJob(1, StatusPending)
	relDest.Action = ActionRelease
	late := withDone(seedJob(1, StatusCompleted, 1, 0, 1), ptr(t0))
	late.CompletedAt = ptr(t0.Add(-2 * time.Hour))
	tests := []struct {
		name string
		jobs []SeedJob
	}{
		{"upper-case id", []SeedJob{upper}},
		{"braced id", []SeedJob{func() SeedJob { s := seedJob(1, StatusPending); s.ID = "{" + s.ID + "}"; return s }()}},
		{"duplicate id", []SeedJob{seedJob(1, StatusPending), seedJob(1, StatusPending)}},
		{"no account", []SeedJob{func() SeedJob { s := seedJob(1, StatusPending); s.Account = ""; return s }()}},
		{"unknown status", []SeedJob{seedJob(1, "DONE")}},
		{"move without destination", []SeedJob{noDest}},
		{"release with destination", []SeedJob{relDest}},
		{"invariant broken", []SeedJob{seedJob(1, StatusProcessing, 10, 5, 4)}},
		{"negative counter", []SeedJob{seedJob(1, StatusProcessing, 0, 1, -1)}},
		{"pending with rows", []SeedJob{seedJob(1, StatusPending, 1, 1)}},
		{"discovering with processed rows", []SeedJob{seedJob(1, StatusDiscovering, 1, 0, 1)}},
		{"terminal with pending rows", []SeedJob{seedJob(1, StatusCompleted, 1, 1)}},
		{"skipped with successes", []SeedJob{seedJob(1, StatusSkipped, 1, 0, 1)}},
		{"completed with cancelled rows", []SeedJob{seedJob(1, StatusCompleted, 1, 0, 0, 0, 0, 1)}},
		{"completed before started", []SeedJob{late}},
		{"plan below discovered", []SeedJob{withPlan(seedJob(1, StatusProcessing, 5, 5), Plan{Total: 4})}},
		{"plan bad rate", []SeedJob{withPlan(seedJob(1, StatusProcessing, 5, 5), Plan{Total: 5, FailureRate: 1.5})}},
		{"plan bad outcome", []SeedJob{withPlan(seedJob(1, StatusProcessing, 5, 5), Plan{Total: 5, Outcome: StatusSkipped})}},
		{"too many rows", []SeedJob{seedJob(1, StatusDiscovering, maxRowsPerJob+1, maxRowsPerJob+1)}},
	}
	for _, tt := range tests {
		if _, err := New(Config{Jobs: tt.jobs}); err == nil {
			t.Errorf("%s: New() error = nil, want an error", tt.name)
		}
	}
	s, _ := New(Config{})
	if err := s.AddJob(acct2, seedJob(1, StatusPending)); err == nil {
		t.Error("AddJob() with a different account in the seed: error = nil, want an error")
	}
}

func TestSeededRowsAgree(t *testing.T) {
	t.Parallel()
	jobs := []SeedJob{
		withPlan(seedJob(1, StatusDiscovering, 30, 25, 0, 0, 5), Plan{Total: 30}),
		withPlan(seedJob(2, StatusProcessing, 900, 400, 480, 12, 8), Plan{Total: 900}),
		withDone(seedJob(3, StatusCompleted, 77, 0, 70, 4, 3), ptr(t0)),
		withDone(seedJob(4, StatusFailed, 60, 0, 10, 5, 0, 45), ptr(t0)),
		withDone(seedJob(5, StatusCancelled, 40, 0, 10, 0, 1, 29), ptr(t0)),
		withDone(seedJob(6, StatusSkipped, 3, 0, 0, 0, 3), ptr(t0)),
	}
	ts := newSim(t, func(c *Config) { c.Jobs = jobs })
	for _, j := range jobs {
		st, _ := ts.s.Job(acct, j.ID)
		if got, want := statusCounts(ts.allMessages(acct, j.ID)), stateCounts(st); !cmp.Equal(got, want) {
			t.Errorf("job %s rows per status = %v, want %v", j.ID, got, want)
		}
	}
}
