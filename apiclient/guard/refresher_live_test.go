package guard_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// gatedAPI is accountAPI whose list reads wait for a gate when one is set,
// or fail with failErr.
type gatedAPI struct {
	*accountAPI
	mu      sync.Mutex
	gate    chan struct{}
	started chan struct{}
	failErr error
}

func (g *gatedAPI) ListJobs(ctx context.Context, cred apiclient.Credential, accountID string, opts apiclient.ListJobsOptions) ([]apiclient.Job, apiclient.ResultInfo, error) {
	g.mu.Lock()
	gate, started, fail := g.gate, g.started, g.failErr
	g.mu.Unlock()
	if gate != nil {
		// Read the page before waiting: the answer predates what happens
		// while the read is under way.
		jobs, info, err := g.accountAPI.ListJobs(ctx, cred, accountID, opts)
		close(started)
		<-gate
		return jobs, info, err
	}
	if fail != nil {
		g.accountAPI.ListJobs(ctx, cred, accountID, opts) // counted
		return nil, apiclient.ResultInfo{}, fail
	}
	return g.accountAPI.ListJobs(ctx, cred, accountID, opts)
}

// A poll that finds the snapshot an interval old reads it, whoever else
// asks at the same moment: twenty concurrent tabs cost one read (those that
// come while it is under way get the snapshot before it), and the feed's
// own timer, which runs nothing here, is not needed for it.
func TestRefresherWatchersShareOneDueRead(t *testing.T) {
	api := runningPage()
	r, st := newRefresher(t, api)
	ctx := context.Background()
	r.Watch(ctx, credA, "acct")
	<-st.entered
	for range 3 {
		st.clk.Advance(5 * time.Second)
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if s, err := r.Watch(ctx, credA, "acct", "j2"); err != nil || s == nil {
					t.Errorf("Watch = %v, %v", s, err)
				}
			}()
		}
		wg.Wait()
		if s, _ := r.Watch(ctx, credA, "acct"); !s.Tried.Equal(st.clk.Now()) {
			t.Errorf("the snapshot was read at %v, want now (%v)", s.Tried, st.clk.Now())
		}
	}
	if lists, gets := api.counts(); lists != 4 || len(gets) != 0 {
		t.Errorf("lists %d, gets %v; want 4 (one per interval) and none", lists, gets)
	}
}

// A cancel's answer put while a read that began before it is under way is
// not undone by that read; the read after it is the truth again.
func TestRefresherPutOutlivesAnOlderRead(t *testing.T) {
	api := &gatedAPI{accountAPI: runningPage()}
	r, st := newRefresher(t, api)
	ctx := context.Background()
	s, _ := r.Watch(ctx, credA, "acct")
	<-st.entered
	_, v0, _ := s.Job("j1")

	api.mu.Lock()
	api.gate, api.started = make(chan struct{}), make(chan struct{})
	gate, started := api.gate, api.started
	api.mu.Unlock()
	st.clk.Advance(5 * time.Second)
	done := make(chan *guard.Snapshot)
	go func() { s, _ := r.Watch(ctx, credA, "acct"); done <- s }()
	<-started // the read has Cloudflare's answer from before the cancel
	api.set("j1", apiclient.StatusCancelled, 0)
	cancelled := &apiclient.Job{ID: "j1", Status: apiclient.StatusCancelled}
	v := r.Put(credA, "acct", cancelled)
	if v <= v0 {
		t.Errorf("Put gave version %d, want above %d", v, v0)
	}
	api.mu.Lock()
	api.gate = nil
	api.mu.Unlock()
	close(gate)
	s = <-done
	if j, _, _ := s.Job("j1"); j.Status != apiclient.StatusCancelled {
		t.Errorf("after the older read j1 is %s, want the cancel's CANCELLED", j.Status)
	}
	st.clk.Advance(5 * time.Second)
	s, _ = r.Watch(ctx, credA, "acct")
	if j, _, _ := s.Job("j1"); j.Status != apiclient.StatusCancelled {
		t.Errorf("the next read shows j1 %s", j.Status)
	}
	if job, _, ok := r.Known(credA, "acct", "j1"); !ok || job.Status != apiclient.StatusCancelled {
		t.Errorf("Known = %v, %v", job, ok)
	}
}

// A failed read keeps the data, marked with why and when it was tried; the
// version does not move. A feed started again after Forget hands out
// versions above the old ones, so a tab's version never runs ahead.
func TestRefresherFailuresAndVersionsAcrossFeeds(t *testing.T) {
	api := &gatedAPI{accountAPI: runningPage()}
	r, st := newRefresher(t, api)
	ctx := context.Background()
	s1, _ := r.Watch(ctx, credA, "acct")
	<-st.entered
	api.mu.Lock()
	api.failErr = &apiclient.APIError{StatusCode: 503}
	api.mu.Unlock()
	st.clk.Advance(5 * time.Second)
	s2, _ := r.Watch(ctx, credA, "acct")
	e, _ := s2.Entry("j1")
	if s2.Err == nil || e.Err == nil || !e.At.Equal(s1.At) || !e.Tried.Equal(st.clk.Now()) || s2.Version != s1.Version {
		t.Errorf("after a failed read: err %v/%v, at %v, tried %v, version %d (was %d)", s2.Err, e.Err, e.At, e.Tried, s2.Version, s1.Version)
	}
	// Within the interval nothing more is asked.
	r.Watch(ctx, credA, "acct")
	if lists, _ := api.counts(); lists != 2 {
		t.Errorf("lists = %d, want 2", lists)
	}
	api.mu.Lock()
	api.failErr = nil
	api.mu.Unlock()
	r.Forget(credA)
	s3, _ := r.Watch(ctx, credA, "acct")
	if _, v, _ := s3.Job("j1"); v <= s1.Version || s3.Err != nil {
		t.Errorf("a new feed's j1 version %d, err %v; want above %d and fresh", v, s3.Err, s1.Version)
	}
}

// A job the snapshot lacks is read once; when it cannot be read, it is not
// asked for again within the interval, however many tabs ask.
func TestRefresherMissingJobsAreReadOncePerInterval(t *testing.T) {
	api := runningPage()
	r, st := newRefresher(t, api)
	ctx := context.Background()
	for range 5 {
		if _, err := r.Watch(ctx, credA, "acct", "gone"); !errors.Is(err, apiclient.ErrNotFound) {
			t.Errorf("Watch(gone) error = %v, want not found", err)
		}
	}
	<-st.entered
	if s, err := r.Watch(ctx, credA, "acct", "old-running"); err != nil {
		t.Errorf("Watch(old-running) = %v", err)
	} else if j, _, ok := s.Job("old-running"); !ok || j.Status != apiclient.StatusProcessing {
		t.Errorf("old-running not in the snapshot")
	}
	if _, gets := api.counts(); gets["gone"] != 1 || gets["old-running"] != 1 {
		t.Errorf("single reads %v, want one each", gets)
	}
}

// A tab whose budget ends while it waits for a due read gets the older
// snapshot marked with why, not an error.
func TestRefresherWatchThatCannotWait(t *testing.T) {
	api := &gatedAPI{accountAPI: runningPage()}
	r, st := newRefresher(t, api)
	s1, _ := r.Watch(context.Background(), credA, "acct")
	<-st.entered
	api.mu.Lock()
	api.gate, api.started = make(chan struct{}), make(chan struct{})
	gate := api.gate
	api.mu.Unlock()
	defer close(gate)
	st.clk.Advance(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	s, err := r.Watch(ctx, credA, "acct")
	if err != nil || !errors.Is(s.Err, context.DeadlineExceeded) || !s.At.Equal(s1.At) || len(s.Page) != 3 {
		t.Errorf("Watch = %+v, %v; want the older snapshot marked with the deadline", s, err)
	}
}

// lazyAPI lets a test build the Refresher before the API it reads through.
type lazyAPI struct{ guard.API }

// When the Guard serves its last good answer because the read failed, the
// snapshot says so: the data as of that answer, and why.
func TestRefresherMarksTheGuardsOlderAnswer(t *testing.T) {
	inner := &gatedAPI{accountAPI: runningPage()}
	lazy := &lazyAPI{}
	r, st := newRefresher(t, lazy)
	g, err := guard.New(inner, guard.Options{Now: st.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	lazy.API = g
	ctx := context.Background()
	s1, _ := r.Watch(ctx, credA, "acct")
	<-st.entered
	inner.mu.Lock()
	inner.failErr = apiclient.ErrUnavailable
	inner.mu.Unlock()
	st.clk.Advance(5 * time.Second)
	s2, _ := r.Watch(ctx, credA, "acct")
	e, _ := s2.Entry("j1")
	if !errors.Is(s2.Err, apiclient.ErrUnavailable) || !errors.Is(e.Err, apiclient.ErrUnavailable) || !s2.At.Equal(s1.At) || !s2.Listed {
		t.Errorf("snapshot after the guard's older answer: err %v, entry err %v, at %v (first read %v)", s2.Err, e.Err, s2.At, s1.At)
	}
}

// One feed watches a bounded number of jobs beyond its page: a poll naming
// more gets no read for them.
func TestRefresherBoundsTheJobsWatched(t *testing.T) {
	api := runningPage()
	r, st := newRefresher(t, api)
	ctx := context.Background()
	ids := make([]string, 501)
	for i := range ids {
		ids[i] = fmt.Sprintf("beyond-%d", i)
		api.extra[ids[i]] = apiclient.Job{ID: ids[i], Status: apiclient.StatusProcessing}
	}
	r.Watch(ctx, credA, "acct", ids[:500]...)
	<-st.entered
	if _, err := r.Watch(ctx, credA, "acct", ids[500]); err == nil || errors.Is(err, apiclient.ErrNotFound) {
		t.Errorf("Watch of a 501st job: %v, want a refusal without a read", err)
	}
	if _, gets := api.counts(); gets[ids[500]] != 0 || len(gets) != 500 {
		t.Errorf("single reads of %d jobs, the 501st read %d times; want 500 and none", len(gets), gets[ids[500]])
	}
}
