package apiclient_test

// These tests run the real client against the simulator (apiclient/cfsim) on a
// fake clock: every endpoint, in both job shapes, plus retries and hostile IDs
// observed through the simulator's request log.

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/cfsim"
)

const (
	simAccount = "023e105f4ecef8ad9ca31a8372d0c353"
	simOther   = "9f0e6a1b2c3d4e5f60718293a4b5c6d7"
	simJob     = "3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e42"
)

var (
	simWrite  = apiclient.Credential{APIToken: "sim-write-token-0123456789abcdef"}
	simRead   = apiclient.Credential{APIToken: "sim-read-token-0123456789abcdefg"}
	simLegacy = apiclient.Credential{Email: "secops@customer.example", APIKey: "legacy-global-key-0123456789"}
)

// simSetup starts a simulator with one PROCESSING job and returns a client
// pointed at it, the simulator and its clock.
func simSetup(t *testing.T, shape cfsim.Shape) (*apiclient.Client, *cfsim.Server, *cfsim.FakeClock) {
	t.Helper()
	start := time.Date(2026, 7, 8, 9, 15, 0, 0, time.UTC)
	clock := cfsim.NewFakeClock(start)
	created, started := start.Add(2*time.Second), start.Add(4*time.Second)
	comment := "Sweep spam campaign from bulk-sender.example"
	sim, err := cfsim.New(cfsim.Config{
		Clock: clock, Shape: shape, Seed: 7,
		Principals: []cfsim.Principal{
			{Name: "writer", Token: simWrite.APIToken, Accounts: map[string]cfsim.Permission{simAccount: cfsim.PermWrite}},
			{Name: "reader", Token: simRead.APIToken, Accounts: map[string]cfsim.Permission{simAccount: cfsim.PermRead}},
			{Name: "legacy", Email: simLegacy.Email, Key: simLegacy.APIKey, Accounts: map[string]cfsim.Permission{simAccount: cfsim.PermWrite}},
		},
		Accounts: []string{simOther},
		Jobs: []cfsim.SeedJob{{
			ID: simJob, Account: simAccount, Action: "MOVE", Destination: "JunkEmail", ExpectedDisposition: "SPAM",
			Comment: &comment, SearchParams: cfsim.SearchParams{Sender: "promo@bulk-sender.example", FinalDisposition: "SPAM", DetectionsOnly: true},
			Status: "PROCESSING", TotalDiscovered: 120, Pending: 40, Successful: 78, Failed: 2,
			CreatedAt: &created, StartedAt: &started,
			Plan: &cfsim.Plan{Total: 120, ProcessPerStep: 2, FailureRate: 0.02},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := apiclient.New(apiclient.WithBaseURL(srv.URL+"/client/v4"), apiclient.WithRetries(2, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c, sim, clock
}

// checkInvariant asserts the counter invariant on a job in the newer shape.
func checkInvariant(t *testing.T, j *apiclient.Job) {
	t.Helper()
	if j.MessagesSkipped == nil || j.MessagesCancelled == nil {
		return
	}
	sum := j.MessagesPending + j.MessagesSuccessful + j.MessagesFailed + *j.MessagesSkipped + *j.MessagesCancelled
	if sum != j.TotalMessagesDiscovered {
		t.Errorf("job %s: counters sum to %d, total is %d", j.ID, sum, j.TotalMessagesDiscovered)
	}
}

func TestClientAgainstSimulator(t *testing.T) {
	t.Parallel()
	for _, shape := range []cfsim.Shape{cfsim.ShapeNew, cfsim.ShapeOld} {
		t.Run(shape.String(), func(t *testing.T) {
			t.Parallel()
			c, sim, clock := simSetup(t, shape)
			ctx := context.Background()

			jobs, info, err := c.ListJobs(ctx, simRead, simAccount, apiclient.ListJobsOptions{PerPage: 10})
			if err != nil || len(jobs) != 1 || info.Count != 1 || info.PerPage != 10 || info.MayHaveMore() {
				t.Fatalf("ListJobs() = %d jobs, %+v, %v", len(jobs), info, err)
			}
			j := jobs[0]
			if j.ID != simJob || j.Status != apiclient.StatusProcessing || j.MessagesPending != 40 ||
				j.ActionParams.Destination != apiclient.DestinationJunkEmail || j.SearchParams.Sender != "promo@bulk-sender.example" {
				t.Errorf("ListJobs()[0] = %+v", j)
			}
			if shape == cfsim.ShapeOld && (j.MessagesCancelled != nil || j.MessagesSkipped != nil) {
				t.Error("old shape: cancelled/skipped present")
			}
			if shape == cfsim.ShapeNew && (j.MessagesCancelled == nil || j.MessagesSkipped == nil) {
				t.Error("new shape: cancelled/skipped absent")
			}

			// Progress on the fake clock: pending falls, done rises.
			clock.Advance(5 * time.Second)
			got, err := c.GetJob(ctx, simRead, simAccount, simJob)
			if err != nil {
				t.Fatal(err)
			}
			if got.MessagesPending >= 40 || got.MessagesSuccessful+got.MessagesFailed <= 80 {
				t.Errorf("after 5s: pending %d, done %d; want progress", got.MessagesPending, got.MessagesSuccessful+got.MessagesFailed)
			}
			checkInvariant(t, got)

			msgs, mi, err := c.ListJobMessages(ctx, simRead, simAccount, simJob, apiclient.ListJobMessagesOptions{PerPage: 1000})
			if err != nil || int64(len(msgs)) != got.TotalMessagesDiscovered || mi.Count != len(msgs) {
				t.Fatalf("ListJobMessages() = %d rows, %+v, %v; want %d", len(msgs), mi, err, got.TotalMessagesDiscovered)
			}
			byStatus := map[apiclient.JobStatus]int64{}
			for _, m := range msgs {
				byStatus[m.Status]++
				if !apiclient.ValidMessageID(m.ID) || m.ActionParams.ClientRecipient == "" || m.PostfixID == "" {
					t.Fatalf("message row %+v", m)
				}
			}
			if byStatus[apiclient.StatusPending] != got.MessagesPending || byStatus[apiclient.StatusCompleted] != got.MessagesSuccessful ||
				byStatus[apiclient.StatusFailed] != got.MessagesFailed {
				t.Errorf("rows by status %v disagree with counters %+v", byStatus, got)
			}

			// A reader cannot cancel; the writer can, once.
			if _, err := c.CancelJob(ctx, simRead, simAccount, simJob); !errors.Is(err, apiclient.ErrForbidden) {
				t.Errorf("CancelJob(read token) error = %v, want ErrForbidden", err)
			}
			before, _ := sim.Job(simAccount, simJob)
			cancelled, err := c.CancelJob(ctx, simWrite, simAccount, simJob)
			if err != nil {
				t.Fatalf("CancelJob() error = %v", err)
			}
			if cancelled.Status != apiclient.StatusCancelled || cancelled.MessagesPending != 0 || cancelled.CompletedAt == nil {
				t.Errorf("CancelJob() = %+v", cancelled)
			}
			if cancelled.MessagesSuccessful != int64(before.Successful) {
				t.Errorf("cancel changed successful: %d, was %d", cancelled.MessagesSuccessful, before.Successful)
			}
			if shape == cfsim.ShapeNew && *cancelled.MessagesCancelled != int64(before.Pending) {
				t.Errorf("messages_cancelled = %d, want the %d that were pending", *cancelled.MessagesCancelled, before.Pending)
			}
			checkInvariant(t, cancelled)
			// Cancelling again is idempotent (Q1).
			again, err := c.CancelJob(ctx, simWrite, simAccount, simJob)
			if err != nil || again.Status != apiclient.StatusCancelled {
				t.Errorf("second CancelJob() = %v, %v", again, err)
			}

			// Create with the legacy key, then delete rules.
			comment := "legacy key job"
			created, err := c.CreateJob(ctx, simLegacy, simAccount, apiclient.CreateJobRequest{
				Action: apiclient.ActionRelease, Comment: &comment,
				SearchParams: apiclient.SearchParams{DeliveryStatus: apiclient.DeliveryQuarantined, Domain: "partner.example"},
			})
			if err != nil {
				t.Fatalf("CreateJob() error = %v", err)
			}
			if created.Status != apiclient.StatusPending || created.Comment != comment || created.StartedAt != nil ||
				created.SearchParams.DetectionsOnly == nil || !*created.SearchParams.DetectionsOnly {
				t.Errorf("CreateJob() = %+v", created)
			}
			if _, err := c.DeleteJob(ctx, simWrite, simAccount, created.ID); !errors.Is(err, apiclient.ErrBadRequest) {
				t.Errorf("DeleteJob(pending) error = %v, want ErrBadRequest", err)
			}
			if id, err := c.DeleteJob(ctx, simWrite, simAccount, simJob); err != nil || id != simJob {
				t.Errorf("DeleteJob(cancelled) = %q, %v", id, err)
			}
			if _, err := c.GetJob(ctx, simRead, simAccount, simJob); !errors.Is(err, apiclient.ErrNotFound) {
				t.Errorf("GetJob(deleted) error = %v, want ErrNotFound", err)
			}
			if _, err := c.DeleteJob(ctx, simWrite, simAccount, simJob); !errors.Is(err, apiclient.ErrNotFound) {
				t.Errorf("second DeleteJob() error = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestSimulatorAuthErrors(t *testing.T) {
	t.Parallel()
	c, _, _ := simSetup(t, cfsim.ShapeNew)
	ctx := context.Background()
	tests := []struct {
		name    string
		cred    apiclient.Credential
		account string
		wantIs  error
		want    string
	}{
		{"unknown token", apiclient.Credential{APIToken: "no-such-token-0000000000"}, simAccount, apiclient.ErrUnauthorized, "rejected the stored credential"},
		{"wrong global key", apiclient.Credential{Email: simLegacy.Email, APIKey: "wrong-key-000000000"}, simAccount, apiclient.ErrUnauthorized, "rejected the stored credential"},
		{"no access to account", simWrite, simOther, apiclient.ErrForbidden, "lacks the permission"},
	}
	for _, tt := range tests {
		_, _, err := c.ListJobs(ctx, tt.cred, tt.account, apiclient.ListJobsOptions{})
		if !errors.Is(err, tt.wantIs) || !strings.Contains(apiclient.Explain(err), tt.want) {
			t.Errorf("%s: error = %v (%q), want %v", tt.name, err, apiclient.Explain(err), tt.wantIs)
		}
		if strings.Contains(err.Error(), tt.cred.APIToken+tt.cred.APIKey) {
			t.Errorf("%s: error text contains the secret", tt.name)
		}
	}
}

func TestSimulatorRateLimit(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 7, 8, 9, 0, 0, 0, time.UTC)
	clock := cfsim.NewFakeClock(start)
	sim, err := cfsim.New(cfsim.Config{Clock: clock, RateLimit: 3, RateWindow: time.Minute, RateBlock: 5 * time.Minute,
		Principals: []cfsim.Principal{{Name: "w", Token: simWrite.APIToken, Accounts: map[string]cfsim.Permission{simAccount: cfsim.PermWrite}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, _ := apiclient.New(apiclient.WithBaseURL(srv.URL + "/client/v4"))
	ctx := context.Background()
	for i := range 3 {
		if _, _, err := c.ListJobs(ctx, simWrite, simAccount, apiclient.ListJobsOptions{}); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	_, _, err = c.ListJobs(ctx, simWrite, simAccount, apiclient.ListJobsOptions{})
	var apiErr *apiclient.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, apiclient.ErrRateLimited) || apiErr.RetryAfter != 5*time.Minute || !apiErr.HasCode(971) {
		t.Fatalf("4th request error = %v, want ErrRateLimited with Retry-After 5m and code 971", err)
	}
	if got := len(sim.Requests()); got != 4 {
		t.Errorf("simulator saw %d requests, want 4 (429 is not retried)", got)
	}
	clock.Advance(5*time.Minute + time.Second)
	if _, _, err := c.ListJobs(ctx, simWrite, simAccount, apiclient.ListJobsOptions{}); err != nil {
		t.Errorf("after the block: %v", err)
	}
}

func TestSimulatorFaultsAndRetries(t *testing.T) {
	t.Parallel()
	c, sim, _ := simSetup(t, cfsim.ShapeNew)
	ctx := context.Background()

	sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointGet, Kind: cfsim.FaultStatus, Status: 503, Count: 2})
	sim.ResetRequests()
	if _, err := c.GetJob(ctx, simRead, simAccount, simJob); err != nil {
		t.Fatalf("GetJob behind two 503s: %v", err)
	}
	if got := len(sim.Requests()); got != 3 {
		t.Errorf("GET behind two 503s took %d requests, want 3", got)
	}

	sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointCancel, Kind: cfsim.FaultStatus, Status: 503, Count: 1})
	sim.ResetRequests()
	if _, err := c.CancelJob(ctx, simWrite, simAccount, simJob); !errors.Is(err, apiclient.ErrUnavailable) {
		t.Errorf("CancelJob behind a 503: %v, want ErrUnavailable", err)
	}
	if got := len(sim.Requests()); got != 1 {
		t.Errorf("cancel behind a 503 sent %d requests, want exactly 1", got)
	}
	if j, _ := sim.Job(simAccount, simJob); j.Status != "PROCESSING" {
		t.Errorf("job status after a refused cancel = %s", j.Status)
	}

	for _, kind := range []cfsim.FaultKind{cfsim.FaultMalformed, cfsim.FaultHTML, cfsim.FaultDrop} {
		sim.ClearFaults()
		sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointCancel, Kind: kind, Status: 502, Count: 1})
		_, err := c.CancelJob(ctx, simWrite, simAccount, simJob)
		if err == nil {
			t.Errorf("cancel with fault %v: no error", kind)
		}
		if !errors.Is(err, apiclient.ErrInvalidResponse) && !errors.Is(err, apiclient.ErrUnavailable) {
			t.Errorf("cancel with fault %v: %v", kind, err)
		}
	}
}

func TestSimulatorSeesNoHostileRequest(t *testing.T) {
	t.Parallel()
	c, sim, _ := simSetup(t, cfsim.ShapeNew)
	ctx := context.Background()
	sim.ResetRequests()
	for _, id := range hostileIDs {
		c.GetJob(ctx, simWrite, simAccount, id)
		c.CancelJob(ctx, simWrite, simAccount, id)
		c.DeleteJob(ctx, simWrite, simAccount, id)
		c.ListJobMessages(ctx, simWrite, simAccount, id, apiclient.ListJobMessagesOptions{})
	}
	for _, acct := range hostileAccounts {
		c.ListJobs(ctx, simWrite, acct, apiclient.ListJobsOptions{})
		c.GetJob(ctx, simWrite, acct, simJob)
		c.CancelJob(ctx, simWrite, acct, simJob)
	}
	if got := sim.Requests(); len(got) != 0 {
		t.Errorf("simulator request log has %d entries, want 0; first: %+v", len(got), got[0])
	}
}
