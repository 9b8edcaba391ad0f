package cfsim

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lifecycleRank orders statuses so that a job never moves backwards.
var lifecycleRank = map[string]int{
	StatusPending: 0, StatusDiscovering: 1, StatusProcessing: 2,
	StatusCompleted: 3, StatusFailed: 3, StatusCancelled: 3, StatusSkipped: 3,
}

// checkStep verifies the invariant and monotonic progress between two
// snapshots of the same job.
func checkStep(t *testing.T, prev, cur JobState) {
	t.Helper()
	if !cur.Invariant() {
		t.Fatalf("invariant broken: %+v", cur)
	}
	if lifecycleRank[cur.Status] < lifecycleRank[prev.Status] {
		t.Fatalf("status went back from %s to %s", prev.Status, cur.Status)
	}
	if isTerminal(prev.Status) && cur.Status != prev.Status {
		t.Fatalf("terminal status %s changed to %s", prev.Status, cur.Status)
	}
	if cur.TotalDiscovered < prev.TotalDiscovered || cur.Successful < prev.Successful || cur.Failed < prev.Failed {
		t.Fatalf("counters went back: %+v then %+v", prev, cur)
	}
	if (cur.StartedAt == nil) != (cur.Status == StatusPending) {
		t.Fatalf("started_at = %v with status %s", cur.StartedAt, cur.Status)
	}
	if (cur.CompletedAt == nil) == isTerminal(cur.Status) {
		t.Fatalf("completed_at = %v with status %s", cur.CompletedAt, cur.Status)
	}
	if cur.Status == StatusPending && cur.TotalDiscovered != 0 {
		t.Fatalf("PENDING job discovered %d rows", cur.TotalDiscovered)
	}
}

func TestEngineInvariantRandomJobs(t *testing.T) {
	t.Parallel()
	for seed := range uint64(200) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			ts := newSim(t, func(c *Config) { c.Seed = seed })
			code, env := ts.as(writeTok, "POST", jobsPath(acct), `{"action":"MOVE","destination":"JunkEmail","search_params":{}}`)
			if code != http.StatusCreated {
				t.Fatalf("create = %d %+v", code, env.Errors)
			}
			id := decodeInto[tJob](t, env.Result).JobID
			prev, _ := ts.s.Job(acct, id)
			seen := map[string]bool{prev.Status: true}
			for tick := 0; !isTerminal(prev.Status); tick++ {
				if tick > 20000 {
					t.Fatalf("job not terminal after %d steps: %+v", tick, prev)
				}
				ts.clock.Advance(time.Second)
				cur, ok := ts.s.Job(acct, id)
				if !ok {
					t.Fatal("job vanished")
				}
				checkStep(t, prev, cur)
				if seed < 10 && tick%20 == 0 {
					if got, want := statusCounts(ts.allMessages(acct, id)), stateCounts(cur); !cmp.Equal(got, want) {
						t.Fatalf("tick %d: rows per status = %v, want %v", tick, got, want)
					}
				}
				seen[cur.Status] = true
				prev = cur
			}
			rows := ts.allMessages(acct, id)
			if got, want := statusCounts(rows), stateCounts(prev); !cmp.Equal(got, want) {
				t.Errorf("final rows per status = %v, want %v", got, want)
			}
			if prev.Status == StatusCompleted && !seen[StatusProcessing] {
				t.Errorf("COMPLETED without passing PROCESSING: seen %v", seen)
			}
			if prev.Status == StatusSkipped && prev.Successful+prev.Failed != 0 {
				t.Errorf("SKIPPED job processed rows: %+v", prev)
			}
		})
	}
}

func TestEngineOutcomesAreSpread(t *testing.T) {
	t.Parallel()
	got := map[string]int{}
	for seed := range uint64(200) {
		ts := newSim(t, func(c *Config) { c.Seed = seed; c.Step = time.Minute })
		_, env := ts.as(writeTok, "POST", jobsPath(acct), `{"action":"RELEASE","search_params":{}}`)
		id := decodeInto[tJob](t, env.Result).JobID
		ts.clock.Advance(1000 * time.Hour)
		st, _ := ts.s.Job(acct, id)
		got[st.Status]++
	}
	for _, st := range []string{StatusCompleted, StatusFailed, StatusSkipped} {
		if got[st] == 0 {
			t.Errorf("no random job ended %s in 200 seeds: %v", st, got)
		}
	}
}

func TestEngineDeterministic(t *testing.T) {
	t.Parallel()
	run := func(pollEvery int) ([]JobState, []tMessage) {
		ts := newSim(t, func(c *Config) { c.Seed = 99 })
		_, env := ts.as(writeTok, "POST", jobsPath(acct), `{"action":"MOVE","destination":"Inbox","search_params":{}}`)
		id := decodeInto[tJob](t, env.Result).JobID
		var states []JobState
		for i := 1; i <= 600; i++ {
			ts.clock.Advance(time.Second)
			if i%pollEvery == 0 { // polling frequency must not change the result
				ts.s.Advance()
			}
			if i%60 == 0 {
				st, _ := ts.s.Job(acct, id)
				states = append(states, st)
			}
		}
		return states, ts.allMessages(acct, id)
	}
	s1, m1 := run(1)
	s2, m2 := run(7)
	if diff := cmp.Diff(s1, s2); diff != "" {
		t.Errorf("states differ with polling (-every step +every 7th):\n%s", diff)
	}
	if diff := cmp.Diff(m1, m2); diff != "" {
		t.Errorf("rows differ with polling (-every step +every 7th):\n%s", diff)
	}
}

func TestEnginePlans(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		seed          SeedJob
		wantStatus    string
		wantMessage   string
		wantCancelled bool
	}{
		{"completes", withPlan(seedJob(1, StatusProcessing, 10, 10), Plan{Total: 10, ProcessPerStep: 3}),
			StatusCompleted, "", false},
		{"fails midway", withPlan(seedJob(2, StatusProcessing, 40, 40), Plan{Total: 40, ProcessPerStep: 5, Outcome: StatusFailed, FailAfter: 10}),
			StatusFailed, "Job failed: Microsoft Graph returned 401 (tenant consent revoked)", true},
		{"nothing found", withPlan(seedJob(3, StatusPending), Plan{Total: 0}),
			StatusSkipped, "No messages matched the search", false},
		{"only submissions", withPlan(seedJob(4, StatusDiscovering), Plan{Total: 30, SkipRate: 1}),
			StatusSkipped, "All matched messages were phish submissions, which cannot be actioned", false},
		{"discovers then processes", withPlan(seedJob(5, StatusDiscovering, 5, 5), Plan{Total: 500, DiscoverPerStep: 7, ProcessPerStep: 11, FailureRate: 0.1, RetryRate: 0.2}),
			StatusCompleted, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{tt.seed} })
			prev, _ := ts.s.Job(acct, tt.seed.ID)
			for range 2000 {
				ts.clock.Advance(time.Second)
				cur, _ := ts.s.Job(acct, tt.seed.ID)
				checkStep(t, prev, cur)
				prev = cur
			}
			if prev.Status != tt.wantStatus {
				t.Fatalf("status = %s, want %s (%+v)", prev.Status, tt.wantStatus, prev)
			}
			if got := deref(prev.StatusMessage); got != tt.wantMessage {
				t.Errorf("status_message = %q, want %q", got, tt.wantMessage)
			}
			if got := prev.Cancelled > 0; got != tt.wantCancelled {
				t.Errorf("cancelled rows = %d, want some: %v", prev.Cancelled, tt.wantCancelled)
			}
			if got, want := statusCounts(ts.allMessages(acct, tt.seed.ID)), stateCounts(prev); !cmp.Equal(got, want) {
				t.Errorf("rows per status = %v, want %v", got, want)
			}
		})
	}
}

func TestEngineRetriesAndFailures(t *testing.T) {
	t.Parallel()
	seed := withPlan(seedJob(1, StatusProcessing, 200, 200), Plan{Total: 200, ProcessPerStep: 20, FailureRate: 0.2, RetryRate: 0.5})
	ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{seed} })
	sawRetry := false
	for range 200 {
		ts.clock.Advance(time.Second)
		for _, m := range ts.allMessages(acct, seed.ID) {
			if m.Status == StatusPending && m.RetryCount > 0 {
				sawRetry = true
				if m.RetryAfter == nil || m.RetryCount > 2 {
					t.Fatalf("retrying row has retry_count %d, retry_after %v", m.RetryCount, m.RetryAfter)
				}
			}
		}
		if st, _ := ts.s.Job(acct, seed.ID); isTerminal(st.Status) {
			break
		}
	}
	if !sawRetry {
		t.Error("no pending row ever carried a retry_count")
	}
	for _, m := range ts.allMessages(acct, seed.ID) {
		switch m.Status {
		case StatusFailed:
			if m.RetryCount != 3 || m.StatusMessage == nil || m.ProcessedAt == nil {
				t.Errorf("failed row = %+v, want retry_count 3, a status_message and processed_at", m)
			}
		case StatusCompleted:
			if m.ProcessedAt == nil || m.RetryAfter != nil || m.StatusMessage != nil {
				t.Errorf("completed row = %+v, want processed_at only", m)
			}
		default:
			t.Errorf("row still %s after the job ended", m.Status)
		}
	}
}

func TestEngineMessageOrder(t *testing.T) {
	t.Parallel()
	seed := withPlan(seedJob(1, StatusDiscovering, 50, 50), Plan{Total: 400, DiscoverPerStep: 60})
	ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{seed} })
	ts.clock.Advance(time.Minute)
	rows := ts.allMessages(acct, seed.ID)
	if len(rows) != 400 {
		t.Fatalf("rows = %d, want 400", len(rows))
	}
	sorted := slices.IsSortedFunc(rows, func(a, b tMessage) int {
		if a.CreatedAt != b.CreatedAt {
			return compareStrings(a.CreatedAt, b.CreatedAt)
		}
		return compareStrings(a.MessageID, b.MessageID)
	})
	if !sorted {
		t.Error("E6 rows not in created_at, message_id order")
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func withPlan(s SeedJob, p Plan) SeedJob {
	s.Plan = &p
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
