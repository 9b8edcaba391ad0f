package cfsim

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkListJobs measures E1 over 1000 jobs in one account, 100 per page,
// through ServeHTTP (auth, rate limiting, engine catch-up and encoding
// included).
func BenchmarkListJobs(b *testing.B) {
	var jobs []SeedJob
	for n := range 1000 {
		s := withDone(seedJob(n, StatusCompleted, 5, 0, 4, 1), ptr(t0.Add(-time.Duration(n)*time.Second)))
		if n%10 == 0 { // a few running jobs, so that the engine has work
			s = withPlan(seedJob(n, StatusProcessing, 5, 5), Plan{Total: 5, ProcessPerStep: 1})
		}
		jobs = append(jobs, s)
	}
	ts := newSim(b, func(c *Config) { c.Jobs = jobs })
	req := httptest.NewRequest("GET", jobsPath(acct)+"?per_page=100&page=3", nil)
	req.Header.Set("Authorization", "Bearer "+readTok)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		ts.s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status = %d", rec.Code)
		}
	}
}

// BenchmarkListMessages measures E6 on a job with 20,000 rows, 1000 per page.
func BenchmarkListMessages(b *testing.B) {
	seed := withDone(seedJob(1, StatusCompleted, 20000, 0, 19000, 600, 400), ptr(t0))
	ts := newSim(b, func(c *Config) { c.Jobs = []SeedJob{seed} })
	req := httptest.NewRequest("GET", jobPath(acct, seed.ID)+"/messages?per_page=1000&page=7&status=COMPLETED", nil)
	req.Header.Set("Authorization", "Bearer "+readTok)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		ts.s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status = %d", rec.Code)
		}
	}
}
