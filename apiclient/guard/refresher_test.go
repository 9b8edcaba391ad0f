package guard_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// accountAPI is an account's jobs, read by the Refresher; it counts calls.
type accountAPI struct {
	mu    sync.Mutex
	page  []apiclient.Job          // what ListJobs returns
	extra map[string]apiclient.Job // jobs only GetJob finds (beyond the page)
	lists int
	gets  map[string]int
}

func (a *accountAPI) ListJobs(ctx context.Context, cred apiclient.Credential, accountID string, opts apiclient.ListJobsOptions) ([]apiclient.Job, apiclient.ResultInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lists++
	return append([]apiclient.Job(nil), a.page...), apiclient.ResultInfo{Count: len(a.page)}, nil
}

func (a *accountAPI) GetJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gets[jobID]++
	for _, j := range a.page {
		if j.ID == jobID {
			return &j, nil
		}
	}
	if j, ok := a.extra[jobID]; ok {
		return &j, nil
	}
	return nil, &apiclient.APIError{StatusCode: 404}
}

func (a *accountAPI) CancelJob(context.Context, apiclient.Credential, string, string) (*apiclient.Job, error) {
	panic("not used")
}

func (a *accountAPI) ListJobMessages(context.Context, apiclient.Credential, string, string, apiclient.ListJobMessagesOptions) ([]apiclient.Message, apiclient.ResultInfo, error) {
	panic("not used")
}

func (a *accountAPI) counts() (int, map[string]int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g := map[string]int{}
	for k, v := range a.gets {
		g[k] = v
	}
	return a.lists, g
}

func (a *accountAPI) set(id string, status apiclient.JobStatus, successful int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.page {
		if a.page[i].ID == id {
			a.page[i].Status, a.page[i].MessagesSuccessful = status, successful
		}
	}
	if j, ok := a.extra[id]; ok {
		j.Status, j.MessagesSuccessful = status, successful
		a.extra[id] = j
	}
}

// stepper drives a Refresher's feeds one interval at a time.
type stepper struct {
	clk     *clock
	tick    chan struct{}
	entered chan struct{}
}

func newRefresher(t *testing.T, api guard.API) (*guard.Refresher, *stepper) {
	st := &stepper{clk: &clock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}, tick: make(chan struct{}), entered: make(chan struct{})}
	r := guard.NewRefresher(api, guard.RefresherOptions{Interval: 5 * time.Second, Now: st.clk.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			select {
			case st.entered <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case <-st.tick:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}})
	t.Cleanup(r.Close)
	return r, st
}

// step lets one sleeping feed read once more and waits until it sleeps again.
func (s *stepper) step() {
	s.clk.Advance(5 * time.Second)
	s.tick <- struct{}{}
	<-s.entered
}

func runningPage() *accountAPI {
	api := &accountAPI{gets: map[string]int{}, extra: map[string]apiclient.Job{
		"old-running": {ID: "old-running", Status: apiclient.StatusProcessing},
	}}
	for _, id := range []string{"j1", "j2", "j3"} {
		api.page = append(api.page, apiclient.Job{ID: id, Status: apiclient.StatusProcessing})
	}
	return api
}

func TestRefresherOneReadPerIntervalWhateverTheTabs(t *testing.T) {
	api := runningPage()
	r, st := newRefresher(t, api)
	ctx := context.Background()
	if _, err := r.Watch(ctx, credA, "acct"); err != nil {
		t.Fatal(err)
	}
	<-st.entered // the first read is done
	for range 12 {
		// 10 list tabs and job pages on every job of the page poll in between.
		for range 10 {
			r.Watch(ctx, credA, "acct")
		}
		for _, j := range []string{"j1", "j2", "j3"} {
			if s, err := r.Watch(ctx, credA, "acct", j); err != nil || s == nil {
				t.Fatalf("Watch(%s) = %v, %v", j, s, err)
			}
		}
		st.step()
	}
	lists, gets := api.counts()
	if lists != 13 || len(gets) != 0 {
		t.Errorf("lists %d, gets %v; want 13 lists (one per interval) and no single reads", lists, gets)
	}
	if r.Feeds() != 1 {
		t.Errorf("feeds = %d, want 1", r.Feeds())
	}
}

func TestRefresherReadsWatchedJobsBeyondThePageUntilTheyEnd(t *testing.T) {
	api := runningPage()
	r, st := newRefresher(t, api)
	ctx := context.Background()
	s, err := r.Watch(ctx, credA, "acct", "old-running")
	if err != nil {
		t.Fatal(err)
	}
	<-st.entered
	if j, _, ok := s.Job("old-running"); !ok || j.Status != apiclient.StatusProcessing {
		t.Fatalf("the snapshot lacks the watched job: %+v", s)
	}
	st.step()
	r.Watch(ctx, credA, "acct", "old-running")
	api.set("old-running", apiclient.StatusCompleted, 10)
	st.step()
	r.Watch(ctx, credA, "acct", "old-running")
	st.step()
	st.step()
	_, gets := api.counts()
	if gets["old-running"] != 3 {
		t.Errorf("single reads of the job = %d, want 3 (until it was seen terminal)", gets["old-running"])
	}
}

func TestRefresherVersionsChangeOnlyWithJobs(t *testing.T) {
	api := runningPage()
	r, st := newRefresher(t, api)
	ctx := context.Background()
	s1, _ := r.Watch(ctx, credA, "acct")
	<-st.entered
	st.step()
	s2, _ := r.Watch(ctx, credA, "acct")
	if s2.Version != s1.Version {
		t.Errorf("version moved from %d to %d with nothing changed", s1.Version, s2.Version)
	}
	api.set("j2", apiclient.StatusProcessing, 42)
	st.step()
	s3, _ := r.Watch(ctx, credA, "acct")
	_, v1, _ := s3.Job("j1")
	_, v2, _ := s3.Job("j2")
	if s3.Version <= s2.Version || v2 != s3.Version || v1 > s2.Version {
		t.Errorf("after j2 changed: snapshot v%d, j1 v%d, j2 v%d (before: v%d)", s3.Version, v1, v2, s2.Version)
	}
}

func TestRefresherStopsWhenUnwatched(t *testing.T) {
	api := runningPage()
	r, st := newRefresher(t, api)
	ctx := context.Background()
	r.Watch(ctx, credA, "acct")
	<-st.entered
	st.clk.Advance(15 * time.Second) // three intervals without a watch
	st.tick <- struct{}{}
	for deadline := time.Now().Add(5 * time.Second); r.Feeds() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the feed kept running unwatched")
		}
	}
	lists, _ := api.counts()
	if lists != 1 {
		t.Errorf("lists = %d, want 1", lists)
	}
	// Separate credentials get separate feeds.
	r.Watch(ctx, credA, "acct")
	<-st.entered
	r.Watch(ctx, credB, "acct")
	<-st.entered
	if r.Feeds() != 2 {
		t.Errorf("feeds = %d, want one per credential", r.Feeds())
	}
	r.Forget(credA)
	if r.Feeds() != 1 {
		t.Errorf("after Forget feeds = %d, want 1", r.Feeds())
	}
}

// perCredAPI answers each credential's list with its own copy of the page,
// as decoding two reads does; credB's read shows j2 further along.
type perCredAPI struct{ *accountAPI }

func (a perCredAPI) ListJobs(ctx context.Context, cred apiclient.Credential, accountID string, opts apiclient.ListJobsOptions) ([]apiclient.Job, apiclient.ResultInfo, error) {
	jobs, info, err := a.accountAPI.ListJobs(ctx, cred, accountID, opts)
	if cred == credB {
		for i := range jobs {
			if jobs[i].ID == "j2" {
				jobs[i].MessagesSuccessful = 99
			}
		}
	}
	return jobs, info, err
}

// Feeds of two credentials on one account share one copy of a job their
// reads returned the same, and each keeps what its own read said otherwise.
func TestRefresherSharesEqualJobsBetweenCredentials(t *testing.T) {
	r, st := newRefresher(t, perCredAPI{runningPage()})
	ctx := context.Background()
	a, err := r.Watch(ctx, credA, "acct")
	if err != nil {
		t.Fatal(err)
	}
	<-st.entered
	b, err := r.Watch(ctx, credB, "acct")
	if err != nil {
		t.Fatal(err)
	}
	<-st.entered
	ja, _, _ := a.Job("j1")
	jb, _, _ := b.Job("j1")
	if ja == nil || ja != jb {
		t.Errorf("j1: two copies (%p, %p), want one shared", ja, jb)
	}
	ja, _, _ = a.Job("j2")
	jb, _, _ = b.Job("j2")
	if ja == jb || ja.MessagesSuccessful != 0 || jb.MessagesSuccessful != 99 {
		t.Errorf("j2: credential A sees %d, B sees %d (shared %t); want each its own read", ja.MessagesSuccessful, jb.MessagesSuccessful, ja == jb)
	}
}
