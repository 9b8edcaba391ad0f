package guard_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// sentinels are every class and reason the pages test an error for.
var sentinels = []error{apiclient.ErrBadRequest, apiclient.ErrUnauthorized, apiclient.ErrForbidden, apiclient.ErrNotFound,
	apiclient.ErrRateLimited, apiclient.ErrUnavailable, apiclient.ErrInvalidResponse, apiclient.ErrHeld, apiclient.ErrInvalidID,
	guard.ErrReadBudget, guard.ErrWriteBudget, guard.ErrBlocked, guard.ErrBreakerOpen, guard.ErrNoFreshSnapshot,
	context.DeadlineExceeded, context.Canceled}

// upstreamErrors are the errors a read of the production stack gives, made
// through it: Cloudflare's refusals and failures, the Transport's holds, a
// timeout, and one wrapped.
func upstreamErrors(t *testing.T) map[string]error {
	out := map[string]error{}
	get := func(name string, s *stack, cred apiclient.Credential, id string) {
		t.Helper()
		_, err := s.client.GetJob(context.Background(), cred, acct, id)
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		out[name] = err
	}
	s := newStack(t, guard.Options{BreakerFailures: -1})
	get("not found", s, simA, "00000000-0000-4000-8000-000000000000")
	get("unauthorized", s, apiclient.Credential{APIToken: "not-a-token-cloudflare-knows"}, job)
	s.answer(simA, status(http.StatusServiceUnavailable))
	get("unavailable", s, simA, job)
	s.answer(simA, func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"success":false,"errors":[{"code":1012,"message":"the job has already finished"}],"messages":[],"result":null}`))
		return true
	})
	get("bad request", s, simA, job)
	s.answer(simA, func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`<html>a proxy's page</html>`))
		return true
	})
	get("invalid response", s, simA, job)
	s.answer(simA, drop)
	get("no answer", s, simA, job)
	s.answer(simA, rateLimited(90*time.Second))
	get("rate limited", s, simA, job)
	get("blocked", s, simA, job) // held: the Retry-After runs
	s.answer(simB, func(w http.ResponseWriter, r *http.Request) bool { <-r.Context().Done(); return true })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	_, err := s.client.GetJob(ctx, simB, acct, job)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}
	out["deadline"] = err

	b := newStack(t, guard.Options{Limit: 2, Headroom: 1})
	b.client.GetJob(context.Background(), simA, acct, job)
	get("read budget", b, simA, job)
	o := newStack(t, guard.Options{BreakerFailures: 1})
	o.answer(simA, status(http.StatusBadGateway))
	o.client.GetJob(context.Background(), simA, acct, job)
	get("breaker open", o, simA, job)

	out["wrapped"] = fmt.Errorf("read the page: %w", out["read budget"])
	out["plain deadline"] = context.DeadlineExceeded
	out["no fresh snapshot"] = guard.ErrNoFreshSnapshot
	return out
}

// An error in a snapshot reads the same on a follower as on the leader:
// the same text, the same classes and reasons for errors.Is, the same
// fields where the pages look (errors.As), the same sentence.
func TestFleetErrorsSurviveTheSnapshot(t *testing.T) {
	for name, err := range upstreamErrors(t) {
		s, rerr := guard.RoundTrip(&guard.Snapshot{Err: err, Jobs: map[string]guard.Entry{
			"job-1": {Job: &apiclient.Job{ID: "job-1", Status: apiclient.StatusProcessing}, Version: 3, Err: err}}})
		if rerr != nil {
			t.Fatalf("%s: %v", name, rerr)
		}
		for where, got := range map[string]error{"snapshot": s.Err, "entry": s.Jobs["job-1"].Err} {
			if d := errorDiff(err, got); d != "" {
				t.Errorf("%s (%s): %s", name, where, d)
			}
		}
	}
}

// errorDiff says how b, come through a snapshot, differs from a.
func errorDiff(a, b error) string {
	if b == nil || a.Error() != b.Error() {
		return fmt.Sprintf("text %q, was %q", b, a)
	}
	for _, s := range sentinels {
		if errors.Is(a, s) != errors.Is(b, s) {
			return fmt.Sprintf("errors.Is(%v) = %t, was %t", s, errors.Is(b, s), errors.Is(a, s))
		}
	}
	if apiclient.Explain(a) != apiclient.Explain(b) {
		return fmt.Sprintf("Explain %q, was %q", apiclient.Explain(b), apiclient.Explain(a))
	}
	var ea, eb *apiclient.APIError
	if errors.As(a, &ea) != errors.As(b, &eb) || ea != nil && !reflect.DeepEqual(*ea, *eb) && !sameAPIError(ea, eb) {
		return fmt.Sprintf("APIError %+v, was %+v", eb, ea)
	}
	var ha, hb *guard.Hold
	if errors.As(a, &ha) != errors.As(b, &hb) || ha != nil && (ha.Reason != hb.Reason || !ha.Until.Equal(hb.Until) || ha.Failures != hb.Failures) {
		return fmt.Sprintf("Hold %+v, was %+v", hb, ha)
	}
	var da, db *apiclient.HeldError
	if errors.As(a, &da) != errors.As(b, &db) || da != nil && (da.Class != db.Class || da.RetryAfter != db.RetryAfter) {
		return fmt.Sprintf("HeldError %+v, was %+v", db, da)
	}
	return ""
}

// sameAPIError compares the fields the pages read.
func sameAPIError(a, b *apiclient.APIError) bool {
	return a.Method == b.Method && a.Path == b.Path && a.StatusCode == b.StatusCode && a.RayID == b.RayID &&
		a.RetryAfter == b.RetryAfter && a.Reason == b.Reason && reflect.DeepEqual(a.Errors, b.Errors) && (a.Err == nil) == (b.Err == nil)
}

// The rest of a snapshot comes through as it was.
func TestFleetSnapshotSurvives(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 123456789, time.UTC)
	skipped, started := int64(4), at.Add(-time.Hour)
	job := &apiclient.Job{ID: "job-1", Status: apiclient.StatusProcessing, ActionType: apiclient.ActionMove, MessagesSkipped: &skipped,
		ActionParams: apiclient.ActionParams{Type: apiclient.ActionMove, Destination: apiclient.DestinationJunkEmail},
		CreatedAt:    started, StartedAt: &started, Comment: "phish wave"}
	in := &guard.Snapshot{At: at, Tried: at.Add(time.Second), Version: 42, Listed: true, Page: []string{"job-1"}, Full: true, Returned: 1,
		Jobs: map[string]guard.Entry{"job-1": {Job: job, Version: 41, At: at, Tried: at.Add(time.Second)}}}
	out, err := guard.RoundTrip(in)
	if err != nil {
		t.Fatal(err)
	}
	e := out.Jobs["job-1"]
	if !reflect.DeepEqual(e.Job, job) || e.Version != 41 || !e.At.Equal(at) || !out.At.Equal(at) || !out.Tried.Equal(in.Tried) ||
		out.Version != 42 || !out.Listed || !out.Full || out.Returned != 1 || !reflect.DeepEqual(out.Page, in.Page) || out.Err != nil {
		t.Errorf("after the round trip: %+v (job %+v), was %+v", out, e.Job, in)
	}
}
