package guard_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// recorder is a guard.Observer that keeps what it is told.
type recorder struct {
	mu       sync.Mutex
	attempts []guard.Attempt
	reads    []guard.ReadResult
}

func (r *recorder) Attempt(a guard.Attempt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a.Duration = min(a.Duration, time.Nanosecond) // only whether it was timed matters here
	r.attempts = append(r.attempts, a)
}

func (r *recorder) Read(res guard.ReadResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads = append(r.reads, res)
}

func (r *recorder) take() ([]guard.Attempt, []guard.ReadResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, rd := r.attempts, r.reads
	r.attempts, r.reads = nil, nil
	return a, rd
}

// sent is an attempt that reached the upstream (it is timed).
func sent(endpoint, outcome string) guard.Attempt {
	return guard.Attempt{Endpoint: endpoint, Outcome: outcome, Duration: time.Nanosecond}
}

// Every attempt is told, retries included: a 503 and then a 200 are two
// attempts of one read; held requests are told with the hold's reason and
// were never timed.
func TestObserverIsToldEveryAttempt(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	s := newStack(t, guard.Options{Observer: rec, Limit: 20, Headroom: 5, BreakerFailures: 3})
	ctx := context.Background()

	failures := 1
	s.answer(simA, func(w http.ResponseWriter, r *http.Request) bool {
		if failures > 0 {
			failures--
			return status(http.StatusServiceUnavailable)(w, r)
		}
		return false
	})
	if _, err := s.client.GetJob(ctx, simA, acct, job); err != nil {
		t.Fatalf("GetJob after one 503: %v", err)
	}
	attempts, _ := rec.take()
	want := []guard.Attempt{sent(guard.EndpointGet, guard.Outcome5xx), sent(guard.EndpointGet, guard.Outcome2xx)}
	if diff := cmp.Diff(want, attempts); diff != "" {
		t.Errorf("a 503 then a 200 (-want +got):\n%s", diff)
	}

	// Each endpoint by the shape of its path.
	s.answer(simA, nil)
	s.client.ListJobs(ctx, simA, acct, apiclient.ListJobsOptions{})
	s.client.ListJobMessages(ctx, simA, acct, job, apiclient.ListJobMessagesOptions{})
	s.client.CancelJob(ctx, simA, acct, "00000000-0000-4000-8000-000000000000")
	attempts, _ = rec.take()
	want = []guard.Attempt{sent(guard.EndpointList, guard.Outcome2xx), sent(guard.EndpointMessages, guard.Outcome2xx),
		sent(guard.EndpointCancel, guard.Outcome4xx)}
	if diff := cmp.Diff(want, attempts); diff != "" {
		t.Errorf("list, messages, cancel of an unknown job (-want +got):\n%s", diff)
	}

	// Three failures in a row open the breaker: the next read is held.
	s.answer(simA, status(http.StatusBadGateway))
	s.client.GetJob(ctx, simA, acct, job) // three attempts, all 502
	s.client.GetJob(ctx, simA, acct, job) // held by the breaker
	attempts, _ = rec.take()
	want = []guard.Attempt{sent(guard.EndpointGet, guard.Outcome5xx), sent(guard.EndpointGet, guard.Outcome5xx),
		sent(guard.EndpointGet, guard.Outcome5xx), {Endpoint: guard.EndpointGet, Outcome: guard.OutcomeHeldBreaker}}
	if diff := cmp.Diff(want, attempts); diff != "" {
		t.Errorf("the breaker opens (-want +got):\n%s", diff)
	}

	// Another credential: a 429 blocks it, the next request is held.
	s.answer(simB, rateLimited(60*time.Second))
	s.client.GetJob(ctx, simB, acct, job)
	s.client.GetJob(ctx, simB, acct, job)
	attempts, _ = rec.take()
	want = []guard.Attempt{sent(guard.EndpointGet, guard.Outcome429), {Endpoint: guard.EndpointGet, Outcome: guard.OutcomeHeldBlock}}
	if diff := cmp.Diff(want, attempts); diff != "" {
		t.Errorf("a 429 blocks (-want +got):\n%s", diff)
	}
}

// A spent read budget holds reads back; the attempt says so.
func TestObserverIsToldOfTheBudget(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	s := newStack(t, guard.Options{Observer: rec, Limit: 3, Headroom: 1})
	ctx := context.Background()
	for range 3 {
		s.client.ListJobs(ctx, simA, acct, apiclient.ListJobsOptions{})
	}
	attempts, _ := rec.take()
	want := []guard.Attempt{sent(guard.EndpointList, guard.Outcome2xx), sent(guard.EndpointList, guard.Outcome2xx),
		{Endpoint: guard.EndpointList, Outcome: guard.OutcomeHeldBudget}}
	if diff := cmp.Diff(want, attempts); diff != "" {
		t.Errorf("reads past the read budget (-want +got):\n%s", diff)
	}
	u, ok := s.tr.Usage(ctx, guard.Key(simA))
	if !ok {
		t.Fatal("Usage: the memory budget cannot tell")
	}
	if reads, writes := u.Remaining(); reads != 0 || writes != 1 || u.Sent != 2 {
		t.Errorf("Usage = %+v, remaining reads %d writes %d; want 2 sent, 0 reads and 1 write left", u, reads, writes)
	}
	if u, _ := s.tr.Usage(ctx, guard.Key(simB)); u.Sent != 0 || u.Limit != 3 {
		t.Errorf("Usage of an unused credential = %+v, want the whole budget", u)
	}
	s.clock.Advance(5 * time.Minute)
	if u, _ := s.tr.Usage(ctx, guard.Key(simA)); u.Sent != 0 {
		t.Errorf("Usage a window later = %+v, want nothing sent", u)
	}
}

// The Guard tells how it answered each read: a call, the cache, the last
// good answer after a failure, or an error.
func TestObserverIsToldHowReadsWereAnswered(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	s := newStack(t, guard.Options{Observer: rec, BreakerFailures: -1})
	ctx := context.Background()
	s.guard.GetJob(ctx, simA, acct, job) // a call
	s.guard.GetJob(ctx, simA, acct, job) // the cache
	s.clock.Advance(3 * time.Second)
	s.answer(simA, status(http.StatusServiceUnavailable))
	s.guard.GetJob(ctx, simA, acct, job)                           // fails, the last good answer
	s.guard.ListJobs(ctx, simA, acct, apiclient.ListJobsOptions{}) // fails, nothing to serve
	_, reads := rec.take()
	want := []guard.ReadResult{guard.ReadMiss, guard.ReadHit, guard.ReadStale, guard.ReadError}
	if diff := cmp.Diff(want, reads); diff != "" {
		t.Errorf("read results (-want +got):\n%s", diff)
	}
}

// FeedStats shows each running feed by the credential's Key, never the
// credential, and when its snapshot's data arrived.
func TestRefresherFeedStats(t *testing.T) {
	api := runningPage()
	r, st := newRefresher(t, api)
	if got := r.FeedStats(); len(got) != 0 {
		t.Fatalf("FeedStats before any watch = %+v", got)
	}
	if _, err := r.Watch(context.Background(), credA, "acct"); err != nil {
		t.Fatal(err)
	}
	<-st.entered
	at := st.clk.Now()
	st.clk.Advance(2 * time.Second)
	got := r.FeedStats()
	want := []guard.FeedStat{{Key: guard.Key(credA), Account: "acct", At: at, Role: "solo"}} // no Fleet: it reads itself
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FeedStats (-want +got):\n%s", diff)
	}
	if age := r.Now().Sub(got[0].At); age != 2*time.Second {
		t.Errorf("snapshot age = %s, want 2s", age)
	}
}
