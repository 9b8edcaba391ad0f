package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web/webtest"
)

// Defect 3: a cancel whose process died between the POST and recording the
// answer leaves a pending row. It is shown as "outcome unknown, check the
// job" and reconciled by reading the job.
func TestPendingCancelIsReconciledByReadingTheJob(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	ctx := context.Background()
	u := app.Users[webtest.Responder]
	begin := func(job string) store.AuditEvent {
		t.Helper()
		row, err := app.Store.BeginCancel(ctx, store.AuditEvent{At: app.Clock.Now(), UserID: u.ID, UserEmail: u.Email,
			AccountID: webtest.Account, JobID: job}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return row
	}
	running := begin(processingJob)
	cancelled := begin(discoveringJob)
	// The dead process's POST did reach Cloudflare for the second job.
	if _, err := app.Client.CancelJob(ctx, apiclient.Credential{APIToken: cfsim.DemoWriteToken}, webtest.Account, discoveringJob); err != nil {
		t.Fatal(err)
	}
	app.Clock.Advance(2 * time.Minute)

	admin := app.Login(t, webtest.Admin)
	_, body := app.Get(t, admin, "/audit?action="+store.ActionJobCancel, false)
	if n := strings.Count(body, "outcome unknown, check the job"); n != 2 {
		t.Errorf("audit page shows %d rows as outcome unknown, want 2", n)
	}

	n, err := app.Handler.ReconcileCancels(ctx)
	if err != nil || n != 2 {
		t.Fatalf("ReconcileCancels = %d, %v; want 2", n, err)
	}
	for _, tt := range []struct {
		row     store.AuditEvent
		outcome string
		detail  string
	}{
		{running, "not_confirmed", "still PROCESSING"},
		{cancelled, "ok", "reads CANCELLED"},
	} {
		got, _ := app.Store.AuditEvent(ctx, tt.row.ID)
		if got.Outcome != tt.outcome || !strings.Contains(got.Detail, tt.detail) || !strings.Contains(got.Detail, "reconciled") {
			t.Errorf("row %s: %q / %q, want %q with %q", got.JobID[:8], got.Outcome, got.Detail, tt.outcome, tt.detail)
		}
	}
	if n, _ := app.Handler.ReconcileCancels(ctx); n != 0 {
		t.Errorf("a second pass settled %d rows", n)
	}
}

// A pending row that cannot be checked now stays pending for the next pass.
func TestPendingCancelWaitsWhileCloudflareIsDown(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	ctx := context.Background()
	u := app.Users[webtest.Responder]
	row, err := app.Store.BeginCancel(ctx, store.AuditEvent{At: app.Clock.Now(), UserID: u.ID, UserEmail: u.Email,
		AccountID: webtest.Account, JobID: processingJob}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	app.Clock.Advance(2 * time.Minute)
	id := app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointGet, Kind: cfsim.FaultStatus, Status: 503, Probability: 1})
	if n, err := app.Handler.ReconcileCancels(ctx); n != 0 || err != nil {
		t.Fatalf("ReconcileCancels during an outage = %d, %v; want 0", n, err)
	}
	if got, _ := app.Store.AuditEvent(ctx, row.ID); got.Outcome != store.CancelPending {
		t.Fatalf("row became %q during the outage", got.Outcome)
	}
	app.Sim.RemoveFault(id)
	app.Clock.Advance(time.Minute) // past the breaker's cool-down, if any
	if n, _ := app.Handler.ReconcileCancels(ctx); n != 1 {
		t.Errorf("after the outage settled %d rows, want 1", n)
	}
}
