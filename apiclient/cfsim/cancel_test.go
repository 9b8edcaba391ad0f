package cfsim

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCancel(t *testing.T) {
	t.Parallel()
	done := ptr(t0.Add(-time.Minute))
	tests := []struct {
		name       string
		seed       SeedJob
		wantStatus int
		wantCode   int
		want       JobState // counters and status after the call
	}{
		{"pending", seedJob(1, StatusPending), http.StatusOK, 0,
			JobState{Status: StatusCancelled}},
		{"discovering", seedJob(2, StatusDiscovering, 120, 115, 0, 0, 5), http.StatusOK, 0,
			JobState{Status: StatusCancelled, TotalDiscovered: 120, Skipped: 5, Cancelled: 115}},
		{"processing", seedJob(3, StatusProcessing, 120, 40, 78, 2), http.StatusOK, 0,
			JobState{Status: StatusCancelled, TotalDiscovered: 120, Successful: 78, Failed: 2, Cancelled: 40}},
		{"cancelled is idempotent", withMessage(withDone(seedJob(4, StatusCancelled, 120, 0, 78, 2, 0, 40), done), "Cancelled by request"), http.StatusOK, 0,
			JobState{Status: StatusCancelled, TotalDiscovered: 120, Successful: 78, Failed: 2, Cancelled: 40}},
		{"completed", withDone(seedJob(5, StatusCompleted, 15, 0, 15), done), http.StatusBadRequest, 1409,
			JobState{Status: StatusCompleted, TotalDiscovered: 15, Successful: 15}},
		{"failed", withDone(seedJob(6, StatusFailed, 10, 0, 3, 2, 0, 5), done), http.StatusBadRequest, 1409,
			JobState{Status: StatusFailed, TotalDiscovered: 10, Successful: 3, Failed: 2, Cancelled: 5}},
		{"skipped", withDone(seedJob(7, StatusSkipped), done), http.StatusBadRequest, 1409,
			JobState{Status: StatusSkipped}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A slow plan, so that nothing moves between seeding and the cancel.
			tt.seed.Plan = &Plan{Total: 5000, PendingSteps: 100, DiscoverPerStep: 1, ProcessPerStep: 1}
			if isTerminal(tt.seed.Status) {
				tt.seed.Plan = nil
			}
			ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{tt.seed} })
			before, _ := ts.s.Job(acct, tt.seed.ID)
			code, env := ts.as(writeTok, "POST", jobPath(acct, tt.seed.ID)+"/cancel", "")
			if code != tt.wantStatus {
				t.Fatalf("cancel = %d %+v, want %d", code, env.Errors, tt.wantStatus)
			}
			after, _ := ts.s.Job(acct, tt.seed.ID)
			got := JobState{Status: after.Status, TotalDiscovered: after.TotalDiscovered, Pending: after.Pending,
				Successful: after.Successful, Failed: after.Failed, Skipped: after.Skipped, Cancelled: after.Cancelled}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("job after cancel (-want +got):\n%s", diff)
			}
			if tt.wantCode != 0 {
				wantErr := []tError{{Code: tt.wantCode, Message: "job is already in a terminal state"}}
				if diff := cmp.Diff(wantErr, env.Errors); diff != "" {
					t.Errorf("errors (-want +got):\n%s", diff)
				}
				if string(env.Result) != "null" {
					t.Errorf("result = %s, want null", env.Result)
				}
				return
			}
			job := decodeInto[tJob](t, env.Result)
			if job.Status != StatusCancelled || job.Pending != 0 || *job.Cancelled != tt.want.Cancelled {
				t.Errorf("answered job = %+v, want the cancelled job", job)
			}
			if job.CompletedAt == nil || deref(job.StatusMessage) != "Cancelled by request" {
				t.Errorf("completed_at = %v, status_message = %v, want both set", job.CompletedAt, job.StatusMessage)
			}
			// Q9: leaving PENDING sets started_at, also when the way out is a cancel.
			if job.StartedAt == nil || (before.Status == StatusPending && *job.StartedAt != *job.CompletedAt) {
				t.Errorf("started_at = %v, completed_at = %v, want started_at set", deref(job.StartedAt), deref(job.CompletedAt))
			}
			if before.Status == StatusCancelled && !cmp.Equal(before, after) {
				t.Errorf("second cancel changed the job:\n%s", cmp.Diff(before, after))
			}
			if got, want := statusCounts(ts.allMessages(acct, tt.seed.ID)), stateCounts(after); !cmp.Equal(got, want) {
				t.Errorf("rows per status = %v, want %v", got, want)
			}
			// Cancel stops every further step, discovery included.
			ts.clock.Advance(time.Hour)
			later, _ := ts.s.Job(acct, tt.seed.ID)
			if diff := cmp.Diff(after, later); diff != "" {
				t.Errorf("cancelled job moved on (-at cancel +an hour later):\n%s", diff)
			}
		})
	}
}

func TestCancelRacesCompletion(t *testing.T) {
	t.Parallel()
	// Q19: the job's last step falls on the instant of the cancel: the
	// engine runs first, so the cancel finds a COMPLETED job.
	seed := withPlan(seedJob(1, StatusProcessing, 3, 3), Plan{Total: 3, ProcessPerStep: 3})
	ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{seed} })
	ts.clock.Advance(time.Second)
	code, env := ts.as(writeTok, "POST", jobPath(acct, seed.ID)+"/cancel", "")
	if code != http.StatusBadRequest || len(env.Errors) != 1 || env.Errors[0].Code != 1409 {
		t.Errorf("cancel at completion = %d %+v, want 400 code 1409", code, env.Errors)
	}
}

func TestCancelErrors(t *testing.T) {
	t.Parallel()
	ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{seedJob(1, StatusProcessing, 4, 4)} })
	tests := []struct {
		name, token, path string
		wantStatus        int
		want              tError
	}{
		{"unknown job", writeTok, jobPath(acct, testJobID(99)) + "/cancel", 404,
			tError{Code: 1404, Message: "bulk job not found", Source: &tSource{"/job_id"}}},
		{"bad job id", writeTok, jobPath(acct, "not-a-uuid") + "/cancel", 400,
			tError{Code: 1400, Message: "job_id must be a canonical lowercase uuid", Source: &tSource{"/job_id"}}},
		{"read token", readTok, jobPath(acct, testJobID(1)) + "/cancel", 403,
			tError{Code: 10000, Message: "Authentication error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, env := ts.as(tt.token, "POST", tt.path, "")
			if code != tt.wantStatus {
				t.Errorf("status = %d, want %d", code, tt.wantStatus)
			}
			if diff := cmp.Diff([]tError{tt.want}, env.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
	if st, _ := ts.s.Job(acct, testJobID(1)); st.Status != StatusProcessing {
		t.Errorf("status after refused cancels = %s, want PROCESSING", st.Status)
	}
}

func withDone(s SeedJob, at *time.Time) SeedJob {
	s.CreatedAt, s.StartedAt, s.CompletedAt = ptr(at.Add(-time.Hour)), ptr(at.Add(-time.Hour)), at
	return s
}

func withMessage(s SeedJob, msg string) SeedJob {
	s.StatusMessage = &msg
	return s
}
