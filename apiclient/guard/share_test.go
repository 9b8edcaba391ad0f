package guard_test

import (
	"context"
	"testing"

	"github.com/respond/bulkjobs/apiclient"
)

// Two credentials whose reads return the same job keep one copy of it; a
// credential whose read differs keeps its own.
func TestGuardSharesEqualAnswersAcrossCredentials(t *testing.T) {
	status := map[string]apiclient.JobStatus{credA.APIToken: apiclient.StatusProcessing, credB.APIToken: apiclient.StatusProcessing}
	api := &fakeAPI{GetJobFn: func(_ context.Context, cred apiclient.Credential, _, jobID string) (*apiclient.Job, error) {
		return &apiclient.Job{ID: jobID, Status: status[cred.APIToken]}, nil // a fresh value per read, as decoding makes
	}}
	g, _ := newGuard(api, 100, 10)
	ctx := context.Background()
	read := func(cred apiclient.Credential) *apiclient.Job {
		t.Helper()
		j, err := g.GetJob(ctx, cred, "acct", "job")
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	read(credA)
	read(credB)
	a, b := read(credA), read(credB) // from the cache
	if api.calls.Load() != 2 {
		t.Fatalf("calls = %d, want 2 (the second reads come from the cache)", api.calls.Load())
	}
	if a != b {
		t.Fatal("two credentials that read the same job keep two copies of it")
	}

	status[credB.APIToken] = apiclient.StatusCompleted
	g2, _ := newGuard(api, 100, 10)
	g = g2
	read(credA)
	read(credB)
	a, b = read(credA), read(credB)
	if a == b || b.Status != apiclient.StatusCompleted || a.Status != apiclient.StatusProcessing {
		t.Fatalf("different answers were shared: A %s, B %s", a.Status, b.Status)
	}
}
