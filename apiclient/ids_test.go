package apiclient_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/respond/bulkjobs/apiclient"
)

// hostileIDs are job IDs that must never reach a URL.
var hostileIDs = []string{
	"",
	"../../user/tokens",
	"..",
	"x#",
	"x?y=1",
	"%2e%2e",
	"%2e%2e%2fuser%2ftokens",
	"3F6C2D1E-8A4B-4C7D-9E21-5B0A7C9D1E42",
	"{3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e42}",
	"urn:uuid:3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e42",
	"3f6c2d1e8a4b4c7d9e215b0a7c9d1e42",
	"3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e4",
	"3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e421",
	"3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e42/../../x",
	"3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e42\n",
	" 3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e42",
}

// hostileAccounts are account IDs that must never reach a URL.
var hostileAccounts = []string{
	"",
	"../../user/tokens",
	"023e105f4ecef8ad9ca31a8372d0c35",   // 31
	"023e105f4ecef8ad9ca31a8372d0c3533", // 33
	"023E105F4ECEF8AD9CA31A8372D0C353",
	"023e105f4ecef8ad9ca31a8372d0c35#",
	"023e105f4ecef8ad9ca31a8372d0c35?",
	"%2e%2e5f4ecef8ad9ca31a8372d0c353",
	"023e105f4ecef8ad9ca31a8372d0c35g",
}

func TestValidators(t *testing.T) {
	t.Parallel()
	if !apiclient.ValidJobID(testJob) {
		t.Errorf("ValidJobID(%q) = false, want true", testJob)
	}
	if !apiclient.ValidAccountID(testAccount) {
		t.Errorf("ValidAccountID(%q) = false, want true", testAccount)
	}
	for _, id := range hostileIDs {
		if apiclient.ValidJobID(id) {
			t.Errorf("ValidJobID(%q) = true, want false", id)
		}
	}
	for _, id := range hostileAccounts {
		if apiclient.ValidAccountID(id) {
			t.Errorf("ValidAccountID(%q) = true, want false", id)
		}
	}
}

// TestHostileIDsSendNothing calls every method with every hostile ID; the
// server must receive nothing at all.
func TestHostileIDsSendNothing(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { calls.Add(1) })
	ctx := context.Background()
	for _, acct := range append([]string{testAccount}, hostileAccounts...) {
		for _, job := range append(hostileIDs, testJob) {
			if acct == testAccount && job == testJob {
				continue
			}
			errs := []error{}
			_, err := c.GetJob(ctx, testCred, acct, job)
			errs = append(errs, err)
			_, err = c.CancelJob(ctx, testCred, acct, job)
			errs = append(errs, err)
			_, err = c.DeleteJob(ctx, testCred, acct, job)
			errs = append(errs, err)
			_, _, err = c.ListJobMessages(ctx, testCred, acct, job, apiclient.ListJobMessagesOptions{})
			errs = append(errs, err)
			for i, err := range errs {
				if err == nil || !strings.Contains(err.Error(), "invalid id") {
					t.Errorf("call %d(%q, %q) error = %v, want invalid id", i, acct, job, err)
				}
			}
		}
		if acct == testAccount {
			continue
		}
		if _, _, err := c.ListJobs(ctx, testCred, acct, apiclient.ListJobsOptions{}); err == nil {
			t.Errorf("ListJobs(%q) error = nil", acct)
		}
		if _, err := c.CreateJob(ctx, testCred, acct, apiclient.CreateJobRequest{Action: apiclient.ActionRelease}); err == nil {
			t.Errorf("CreateJob(%q) error = nil", acct)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("upstream received %d requests, want 0", n)
	}
}

func FuzzValidJobID(f *testing.F) {
	f.Add(testJob)
	for _, id := range hostileIDs {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !apiclient.ValidJobID(s) {
			return
		}
		u, err := uuid.Parse(s)
		if err != nil || u.String() != s {
			t.Fatalf("ValidJobID(%q) = true but it is not a canonical uuid", s)
		}
		if strings.ContainsAny(s, "/?#%.{}:ABCDEF \n") {
			t.Fatalf("ValidJobID(%q) = true for a value with unsafe characters", s)
		}
	})
}

func FuzzValidAccountID(f *testing.F) {
	f.Add(testAccount)
	for _, id := range hostileAccounts {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !apiclient.ValidAccountID(s) {
			return
		}
		if len(s) != 32 || strings.Trim(s, "0123456789abcdef") != "" {
			t.Fatalf("ValidAccountID(%q) = true for a value that is not 32 lowercase hex", s)
		}
	})
}
