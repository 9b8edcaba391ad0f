package cfsim

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// listSim seeds 45 terminal jobs in acct: created one minute apart, except
// jobs 40-44 which share one created_at (to test the tie-break), cycling
// through COMPLETED, CANCELLED and FAILED, MOVE for even n and RELEASE for odd.
func listSim(t *testing.T) *tsim {
	t.Helper()
	var jobs []SeedJob
	for n := range 45 {
		created := t0.Add(-time.Duration(n) * time.Minute)
		if n >= 40 {
			created = t0.Add(-40 * time.Minute)
		}
		s := seedJob(n, StatusCompleted, 1, 0, 1)
		switch n % 3 {
		case 1:
			s = seedJob(n, StatusCancelled, 1, 0, 0, 0, 0, 1)
		case 2:
			s = seedJob(n, StatusFailed, 1, 0, 0, 1)
		}
		if n%2 == 1 {
			s.Action, s.Destination = ActionRelease, ""
		}
		s.CreatedAt, s.StartedAt, s.CompletedAt = ptr(created), ptr(created), ptr(created.Add(time.Second))
		jobs = append(jobs, s)
	}
	return newSim(t, func(c *Config) { c.Jobs = jobs })
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	ts := listSim(t)
	tests := []struct {
		query      string
		wantStatus int
		wantIDs    []int // job numbers in order, for 200
		wantPtr    string
	}{
		{"", 200, seq(0, 20), ""},
		{"?page=2", 200, seq(20, 40), ""},
		{"?page=3", 200, []int{40, 41, 42, 43, 44}, ""},
		{"?page=4", 200, []int{}, ""},
		{"?page=1000000", 200, []int{}, ""},
		{"?per_page=1000", 200, seq(0, 45), ""},
		{"?per_page=7&page=2", 200, seq(7, 14), ""},
		{"?per_page=0", 400, nil, "/per_page"},
		{"?per_page=1001", 400, nil, "/per_page"},
		{"?per_page=abc", 400, nil, "/per_page"},
		{"?per_page=1.5", 400, nil, "/per_page"},
		{"?per_page=", 400, nil, "/per_page"},
		{"?per_page=+5", 400, nil, "/per_page"},
		{"?page=0", 400, nil, "/page"},
		{"?page=-1", 400, nil, "/page"},
		{"?page=abc", 400, nil, "/page"},
		{"?page=1&page=2", 400, nil, "/page"},
		{"?status=COMPLETED&status=FAILED", 400, nil, "/status"},
		{"?status=completed", 400, nil, "/status"},
		{"?status=", 400, nil, "/status"},
		{"?status=DONE", 400, nil, "/status"},
		{"?action_type=DELETE", 400, nil, "/action_type"},
		{"?action_type=MOVE&action_type=MOVE", 400, nil, "/action_type"},
		{"?status=CANCELLED&per_page=5", 200, []int{1, 4, 7, 10, 13}, ""},
		{"?status=FAILED&action_type=MOVE&per_page=3", 200, []int{2, 8, 14}, ""},
		{"?action_type=RELEASE&per_page=3&page=2", 200, []int{7, 9, 11}, ""},
		{"?status=PENDING", 200, []int{}, ""},
		{"?unknown=1", 200, seq(0, 20), ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, env := ts.as(readTok, "GET", jobsPath(acct)+tt.query, "")
			if code != tt.wantStatus {
				t.Fatalf("status = %d %+v, want %d", code, env.Errors, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusOK {
				if len(env.Errors) != 1 || env.Errors[0].Code != 1400 || env.Errors[0].Source == nil ||
					env.Errors[0].Source.Pointer != tt.wantPtr {
					t.Errorf("errors = %+v, want code 1400 at %s", env.Errors, tt.wantPtr)
				}
				return
			}
			var got []string
			for _, j := range decodeInto[[]tJob](t, env.Result) {
				got = append(got, j.JobID)
			}
			var want []string
			for _, n := range tt.wantIDs {
				want = append(want, testJobID(n))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("job IDs (-want +got):\n%s", diff)
			}
			if env.ResultInfo == nil || env.ResultInfo.Count != len(want) {
				t.Errorf("result_info = %+v, want count %d", env.ResultInfo, len(want))
			}
		})
	}
}

func TestListResultInfo(t *testing.T) {
	t.Parallel()
	ts := listSim(t)
	tests := []struct {
		query string
		want  tResultInfo
	}{
		{"", tResultInfo{Count: 20, PerPage: 20}},
		{"?per_page=30&page=2", tResultInfo{Count: 15, PerPage: 30}},
		{"?per_page=50&page=9", tResultInfo{Count: 0, PerPage: 50}},
	}
	for _, tt := range tests {
		_, env := ts.as(readTok, "GET", jobsPath(acct)+tt.query, "")
		if diff := cmp.Diff(&tt.want, env.ResultInfo); diff != "" {
			t.Errorf("GET %s result_info (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestListOtherAccountIsSeparate(t *testing.T) {
	t.Parallel()
	ts := listSim(t)
	code, env := ts.as(readTok, "GET", jobsPath(acct2), "")
	if code != http.StatusOK || string(env.Result) != "[]" {
		t.Errorf("list of empty account = %d %s, want 200 []", code, env.Result)
	}
}

func TestMessagesPaging(t *testing.T) {
	t.Parallel()
	seed := withDone(seedJob(1, StatusCompleted, 250, 0, 230, 12, 8), ptr(t0))
	ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{seed} })
	all := ts.allMessages(acct, seed.ID)
	if len(all) != 250 {
		t.Fatalf("rows = %d, want 250", len(all))
	}
	tests := []struct {
		query      string
		wantStatus int
		wantCount  int
		wantFirst  int // index into all of the first row, -1 for none
	}{
		{"", 200, 20, 0},
		{"?page=13", 200, 10, 240},
		{"?page=14", 200, 0, -1},
		{"?per_page=100&page=2", 200, 100, 100},
		{"?status=FAILED&per_page=1000", 200, 12, -1},
		{"?status=SKIPPED", 200, 8, -1},
		{"?status=PENDING", 200, 0, -1},
		{"?per_page=1001", 400, 0, -1},
		{"?page=0", 400, 0, -1},
		{"?status=FAILED&status=SKIPPED", 400, 0, -1},
		{"?status=failed", 400, 0, -1},
	}
	for _, tt := range tests {
		code, env := ts.as(readTok, "GET", jobPath(acct, seed.ID)+"/messages"+tt.query, "")
		if code != tt.wantStatus {
			t.Errorf("GET messages%s = %d, want %d", tt.query, code, tt.wantStatus)
			continue
		}
		if code != http.StatusOK {
			continue
		}
		rows := decodeInto[[]tMessage](t, env.Result)
		if len(rows) != tt.wantCount || env.ResultInfo.Count != tt.wantCount {
			t.Errorf("GET messages%s = %d rows (count %d), want %d", tt.query, len(rows), env.ResultInfo.Count, tt.wantCount)
		}
		if tt.wantFirst >= 0 && len(rows) > 0 && rows[0].MessageID != all[tt.wantFirst].MessageID {
			t.Errorf("GET messages%s starts at %s, want row %d", tt.query, rows[0].MessageID, tt.wantFirst)
		}
	}
}

// seq returns the numbers from..to-1.
func seq(from, to int) []int {
	out := []int{}
	for n := from; n < to; n++ {
		out = append(out, n)
	}
	return out
}
