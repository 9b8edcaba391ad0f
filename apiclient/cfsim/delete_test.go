package cfsim

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDelete(t *testing.T) {
	t.Parallel()
	done := ptr(t0.Add(-time.Minute))
	tests := []struct {
		name       string
		seed       SeedJob
		wantStatus int
	}{
		{"pending", seedJob(1, StatusPending), http.StatusBadRequest},
		{"discovering", seedJob(2, StatusDiscovering, 5, 5), http.StatusBadRequest},
		{"processing", seedJob(3, StatusProcessing, 5, 3, 2), http.StatusBadRequest},
		{"completed", withDone(seedJob(4, StatusCompleted, 5, 0, 5), done), http.StatusOK},
		{"failed", withDone(seedJob(5, StatusFailed, 5, 0, 1, 1, 0, 3), done), http.StatusOK},
		{"cancelled", withDone(seedJob(6, StatusCancelled, 5, 0, 1, 0, 0, 4), done), http.StatusOK},
		{"skipped", withDone(seedJob(7, StatusSkipped, 2, 0, 0, 0, 2), done), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.seed.Plan = &Plan{Total: 1000, PendingSteps: 100, DiscoverPerStep: 1, ProcessPerStep: 1}
			if isTerminal(tt.seed.Status) {
				tt.seed.Plan = nil
			}
			ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{tt.seed} })
			path := jobPath(acct, tt.seed.ID)
			code, env := ts.as(writeTok, "DELETE", path, "")
			if code != tt.wantStatus {
				t.Fatalf("delete = %d %+v, want %d", code, env.Errors, tt.wantStatus)
			}
			if code != http.StatusOK {
				want := []tError{{Code: 1409, Message: "only terminal jobs can be deleted"}}
				if diff := cmp.Diff(want, env.Errors); diff != "" {
					t.Errorf("errors (-want +got):\n%s", diff)
				}
				if _, ok := ts.s.Job(acct, tt.seed.ID); !ok {
					t.Error("refused delete removed the job")
				}
				return
			}
			if got := string(env.Result); got != `{"id":"`+tt.seed.ID+`"}` {
				t.Errorf("result = %s, want {\"id\":%q}", got, tt.seed.ID)
			}
			// Gone everywhere: E3, E5, E6, a second E4 (Q3), and E1.
			for _, c := range []struct{ method, path string }{
				{"GET", path}, {"POST", path + "/cancel"}, {"GET", path + "/messages"}, {"DELETE", path},
			} {
				code, env := ts.as(writeTok, c.method, c.path, "")
				want := []tError{{Code: 1404, Message: "bulk job not found", Source: &tSource{"/job_id"}}}
				if code != http.StatusNotFound || !cmp.Equal(want, env.Errors) {
					t.Errorf("%s %s after delete = %d %+v, want 404 code 1404", c.method, c.path, code, env.Errors)
				}
			}
			_, env = ts.as(readTok, "GET", jobsPath(acct), "")
			if jobs := decodeInto[[]tJob](t, env.Result); len(jobs) != 0 {
				t.Errorf("list after delete = %d jobs, want 0", len(jobs))
			}
			if _, ok := ts.s.Job(acct, tt.seed.ID); ok {
				t.Error("Job() still finds the deleted job")
			}
		})
	}
}

func TestDeleteNeedsWrite(t *testing.T) {
	t.Parallel()
	seed := withDone(seedJob(1, StatusCompleted, 1, 0, 1), ptr(t0))
	ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{seed} })
	code, env := ts.as(readTok, "DELETE", jobPath(acct, seed.ID), "")
	if code != http.StatusForbidden || len(env.Errors) != 1 || env.Errors[0].Code != 10000 {
		t.Errorf("delete with read token = %d %+v, want 403 code 10000 (Q12)", code, env.Errors)
	}
	if _, ok := ts.s.Job(acct, seed.ID); !ok {
		t.Error("forbidden delete removed the job")
	}
}
