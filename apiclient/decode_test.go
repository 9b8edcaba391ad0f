package apiclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/respond/bulkjobs/apiclient"
)

func ptr[T any](v T) *T { return &v }

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestListJobsOldShape(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET "+bulkPrefix, func(w http.ResponseWriter, r *http.Request) {
		if got, want := r.URL.RawQuery, "action_type=MOVE&page=2&per_page=2&status=PROCESSING"; got != want {
			t.Errorf("query = %q, want %q", got, want)
		}
		serveFile(t, "list_old_shape.json")(w, r)
	})
	jobs, info, err := c.ListJobs(context.Background(), testCred, testAccount, apiclient.ListJobsOptions{
		Page: 2, PerPage: 2, Status: apiclient.StatusProcessing, ActionType: apiclient.ActionMove,
	})
	if err != nil {
		t.Fatalf("ListJobs() error = %v", err)
	}
	want0 := apiclient.Job{
		ID:         testJob,
		ActionType: apiclient.ActionMove,
		ActionParams: apiclient.ActionParams{
			Type: apiclient.ActionMove, Destination: apiclient.DestinationJunkEmail, ExpectedDisposition: apiclient.DispositionSpam,
		},
		SearchParams: apiclient.SearchParams{
			ActionLog: ptr(false), DetectionsOnly: ptr(true), Submissions: ptr(false),
			Start: ptr(mustTime("2026-07-01T00:00:00Z")), End: ptr(mustTime("2026-07-08T00:00:00Z")),
			Sender: "promo@bulk-sender.example", FinalDisposition: apiclient.DispositionSpam,
		},
		Status:                  apiclient.StatusProcessing,
		TotalMessagesDiscovered: 120, MessagesPending: 40, MessagesSuccessful: 78, MessagesFailed: 2,
		CreatedAt: mustTime("2026-07-08T09:15:02.481Z"),
		StartedAt: ptr(mustTime("2026-07-08T09:15:04.120Z")),
		Comment:   "Sweep spam campaign from bulk-sender.example",
	}
	if len(jobs) != 2 {
		t.Fatalf("len(jobs) = %d, want 2", len(jobs))
	}
	if diff := cmp.Diff(want0, jobs[0]); diff != "" {
		t.Errorf("jobs[0] mismatch (-want +got):\n%s", diff)
	}
	if jobs[0].MessagesCancelled != nil || jobs[0].MessagesSkipped != nil {
		t.Error("old shape: cancelled/skipped counters should be absent (nil), not zero")
	}
	if jobs[1].ActionType != apiclient.ActionRelease || jobs[1].SearchParams.DeliveryStatus != apiclient.DeliveryQuarantined || !jobs[1].Status.Terminal() {
		t.Errorf("jobs[1] = %+v", jobs[1])
	}
	wantInfo := apiclient.ResultInfo{Count: 2, PerPage: 2, Returned: 2}
	if diff := cmp.Diff(wantInfo, info); diff != "" {
		t.Errorf("result info mismatch (-want +got):\n%s", diff)
	}
	if !info.MayHaveMore() {
		t.Error("MayHaveMore() = false for a full page")
	}
}

func TestCancelJobNewShape(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST "+bulkPrefix+"/"+testJob+"/cancel", func(w http.ResponseWriter, r *http.Request) {
		if b, _ := io.ReadAll(r.Body); len(b) != 0 {
			t.Errorf("cancel body = %q, want none", b)
		}
		serveFile(t, "cancel_new_shape.json")(w, r)
	})
	job, err := c.CancelJob(context.Background(), testCred, testAccount, testJob)
	if err != nil {
		t.Fatalf("CancelJob() error = %v", err)
	}
	if job.Status != apiclient.StatusCancelled || job.MessagesCancelled == nil || *job.MessagesCancelled != 40 ||
		job.MessagesSkipped == nil || *job.MessagesSkipped != 0 || job.StatusMessage != "Cancelled by request" {
		t.Errorf("CancelJob() = %+v", job)
	}
}

func TestUnknownFieldsAndEnumsTolerated(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	id := "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
	mux.HandleFunc("GET "+bulkPrefix+"/"+id, serveFile(t, "job_unknown_fields.json"))
	job, err := c.GetJob(context.Background(), testCred, testAccount, id)
	if err != nil {
		t.Fatalf("GetJob() error = %v", err)
	}
	if job.Status != "PAUSED" || job.Status.Known() || job.Status.Terminal() || job.ActionType.Known() {
		t.Errorf("GetJob() = %+v; unknown values should be kept and be neither known nor terminal", job)
	}
}

func TestGetJobIDMismatch(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	other := "9b1e4f7a-2c3d-4e5f-8a6b-7c8d9e0f1a2b"
	mux.HandleFunc("GET "+bulkPrefix+"/"+other, serveFile(t, "cancel_new_shape.json"))
	if _, err := c.GetJob(context.Background(), testCred, testAccount, other); err == nil {
		t.Error("GetJob() error = nil for an answer about another job")
	}
}

func TestListJobMessages(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET "+bulkPrefix+"/"+testJob+"/messages", func(w http.ResponseWriter, r *http.Request) {
		if got, want := r.URL.RawQuery, "per_page=2&status=FAILED"; got != want {
			t.Errorf("query = %q, want %q", got, want)
		}
		serveFile(t, "messages.json")(w, r)
	})
	msgs, info, err := c.ListJobMessages(context.Background(), testCred, testAccount, testJob,
		apiclient.ListJobMessagesOptions{PerPage: 2, Status: apiclient.StatusFailed})
	if err != nil {
		t.Fatalf("ListJobMessages() error = %v", err)
	}
	if len(msgs) != 2 || info.Count != 2 {
		t.Fatalf("got %d messages, info %+v", len(msgs), info)
	}
	want := apiclient.Message{
		ID: "d1b9f2a3-4c5d-4e6f-9a71-8293a4b5c6d7", PostfixID: "4Yk2Lm1Rz9z2abc", ActionType: apiclient.ActionMove,
		ActionParams: apiclient.MessageActionParams{
			Type: apiclient.ActionMove, ClientRecipient: "bob@customer.example",
			Destination: apiclient.DestinationJunkEmail, ExpectedDisposition: apiclient.DispositionSpam,
		},
		Status: apiclient.StatusFailed, RetryCount: 3, CreatedAt: mustTime("2026-07-08T09:15:20.000Z"),
		EmailMessageID: "<d4e5f6@bulk-sender.example>", ProcessedAt: ptr(mustTime("2026-07-08T09:16:02.870Z")),
		StatusMessage: "Mailbox not found",
	}
	if diff := cmp.Diff(want, msgs[1]); diff != "" {
		t.Errorf("msgs[1] mismatch (-want +got):\n%s", diff)
	}
}

func TestCreateJobBody(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST "+bulkPrefix, func(w http.ResponseWriter, r *http.Request) {
		var got map[string]any
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"action": "MOVE", "destination": "DeletedItems", "comment": "phish sweep",
			"search_params": map[string]any{"sender": "evil@phish.example", "detections_only": true},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("body mismatch (-want +got):\n%s", diff)
		}
		w.WriteHeader(http.StatusCreated)
		serveFile(t, "cancel_new_shape.json")(w, r)
	})
	_, err := c.CreateJob(context.Background(), testCred, testAccount, apiclient.CreateJobRequest{
		Action: apiclient.ActionMove, Destination: apiclient.DestinationDeletedItems, Comment: ptr("phish sweep"),
		SearchParams: apiclient.SearchParams{Sender: "evil@phish.example", DetectionsOnly: ptr(true)},
	})
	if err != nil {
		t.Fatalf("CreateJob() error = %v", err)
	}
	for _, bad := range []apiclient.CreateJobRequest{
		{Action: "DELETE"},
		{Action: apiclient.ActionMove},
		{Action: apiclient.ActionMove, Destination: "Outbox"},
		{Action: apiclient.ActionRelease, Destination: apiclient.DestinationInbox},
	} {
		if _, err := c.CreateJob(context.Background(), testCred, testAccount, bad); err == nil {
			t.Errorf("CreateJob(%+v) error = nil", bad)
		}
	}
}

func TestListOptionValidation(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	for _, opts := range []apiclient.ListJobsOptions{
		{Page: -1}, {PerPage: 1001}, {PerPage: -5}, {Status: "RUNNING"}, {ActionType: "DELETE"},
	} {
		if _, _, err := c.ListJobs(context.Background(), testCred, testAccount, opts); err == nil {
			t.Errorf("ListJobs(%+v) error = nil", opts)
		}
	}
}

func TestStatusPredicates(t *testing.T) {
	t.Parallel()
	terminal := map[apiclient.JobStatus]bool{"COMPLETED": true, "FAILED": true, "CANCELLED": true, "SKIPPED": true}
	for _, s := range apiclient.JobStatuses {
		if s.Terminal() != terminal[s] || s.Cancellable() == terminal[s] || !s.Known() {
			t.Errorf("%s: Terminal=%v Cancellable=%v Known=%v", s, s.Terminal(), s.Cancellable(), s.Known())
		}
	}
}

// bodyTransport answers every request with the same body, without a network.
type bodyTransport struct {
	status int
	body   []byte
}

func (bt bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: bt.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(bt.body)), Request: r,
	}, nil
}

func clientFor(tb testing.TB, status int, body []byte) *apiclient.Client {
	tb.Helper()
	c, err := apiclient.New(
		apiclient.WithBaseURL("http://upstream.invalid/client/v4"),
		apiclient.WithHTTPClient(&http.Client{Transport: bodyTransport{status, body}}),
		apiclient.WithRetries(0, 0),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// FuzzDecode feeds arbitrary bodies and statuses to every decoding path: the
// client must return a value or an error, never panic.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"list_old_shape.json", "cancel_new_shape.json", "job_unknown_fields.json", "messages.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(200, b)
	}
	f.Add(404, []byte(`{"success":false,"errors":[{"code":1404,"message":"bulk job not found","error_chain":[{"code":1}]}]}`))
	f.Add(429, []byte(`{"success":false,"errors":null}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Add(200, []byte(`{"success":true,"result":null}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		c := clientFor(t, status, body)
		ctx := context.Background()
		if job, err := c.GetJob(ctx, testCred, testAccount, testJob); err == nil && job.ID != testJob {
			t.Fatalf("GetJob() returned job %q without error", job.ID)
		} else if err != nil && strings.Contains(err.Error(), testToken) {
			t.Fatal("error contains the token")
		}
		if jobs, _, err := c.ListJobs(ctx, testCred, testAccount, apiclient.ListJobsOptions{}); err == nil {
			for _, j := range jobs {
				if !apiclient.ValidJobID(j.ID) {
					t.Fatalf("ListJobs() returned invalid job id %q", j.ID)
				}
			}
		}
		c.ListJobMessages(ctx, testCred, testAccount, testJob, apiclient.ListJobMessagesOptions{})
		c.DeleteJob(ctx, testCred, testAccount, testJob)
		_ = apiclient.Explain(nil)
	})
}

// jobPage builds a list response of n jobs in the newer shape.
func jobPage(tb testing.TB, n int) []byte {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString(`{"success":true,"errors":[],"messages":[],"result":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"job_id":"3f6c2d1e-8a4b-4c7d-9e21-%012x","action_type":"MOVE",
		"action_params":{"type":"MOVE","destination":"JunkEmail","expected_disposition":"SPAM"},
		"search_params":{"action_log":false,"detections_only":true,"submissions":false,"start":"2026-07-01T00:00:00Z","end":"2026-07-08T00:00:00Z","sender":"promo@bulk-sender.example","final_disposition":"SPAM"},
		"status":"PROCESSING","total_messages_discovered":120,"messages_pending":40,"messages_successful":78,"messages_failed":2,"messages_skipped":0,"messages_cancelled":0,
		"created_at":"2026-07-08T09:15:02.481Z","started_at":"2026-07-08T09:15:04.120Z","completed_at":null,"comment":"Sweep spam campaign","status_message":null}`, i)
	}
	fmt.Fprintf(&b, `],"result_info":{"count":%d,"per_page":%d,"total_count":0,"page":0,"next":null,"previous":null}}`, n, n)
	return b.Bytes()
}

// BenchmarkDecodeJobPage measures ListJobs on a 1000-job page, network excluded.
func BenchmarkDecodeJobPage(b *testing.B) {
	body := jobPage(b, 1000)
	c := clientFor(b, 200, body)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		jobs, _, err := c.ListJobs(ctx, testCred, testAccount, apiclient.ListJobsOptions{PerPage: 1000})
		if err != nil || len(jobs) != 1000 {
			b.Fatalf("ListJobs() = %d jobs, %v", len(jobs), err)
		}
	}
}
