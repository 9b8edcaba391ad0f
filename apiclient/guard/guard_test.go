package guard_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// fakeAPI is a hand-rolled guard.API (wtf mock style).
type fakeAPI struct {
	GetJobFn    func(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error)
	CancelJobFn func(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error)
	calls       atomic.Int32
}

func (f *fakeAPI) ListJobs(ctx context.Context, cred apiclient.Credential, accountID string, opts apiclient.ListJobsOptions) ([]apiclient.Job, apiclient.ResultInfo, error) {
	f.calls.Add(1)
	return []apiclient.Job{{ID: cred.APIToken}}, apiclient.ResultInfo{Count: 1}, nil
}

func (f *fakeAPI) GetJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error) {
	f.calls.Add(1)
	return f.GetJobFn(ctx, cred, accountID, jobID)
}

func (f *fakeAPI) CancelJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error) {
	f.calls.Add(1)
	return f.CancelJobFn(ctx, cred, accountID, jobID)
}

func (f *fakeAPI) ListJobMessages(ctx context.Context, cred apiclient.Credential, accountID, jobID string, opts apiclient.ListJobMessagesOptions) ([]apiclient.Message, apiclient.ResultInfo, error) {
	f.calls.Add(1)
	return nil, apiclient.ResultInfo{}, nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var (
	credA = apiclient.Credential{APIToken: "token-of-analyst-a"}
	credB = apiclient.Credential{APIToken: "token-of-analyst-b"}
)

func newGuard(api *fakeAPI, limit, headroom int) (*guard.Guard, *clock) {
	clk := &clock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	g, err := guard.New(api, guard.Options{TTL: 2 * time.Second, Limit: limit, Window: 5 * time.Minute, Headroom: headroom, Now: clk.Now})
	if err != nil {
		panic(err)
	}
	return g, clk
}

func TestGuardCoalescesAndCaches(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	api := &fakeAPI{GetJobFn: func(ctx context.Context, cred apiclient.Credential, a, j string) (*apiclient.Job, error) {
		<-release
		return &apiclient.Job{ID: j, Comment: cred.APIToken}, nil
	}}
	g, clk := newGuard(api, 1200, 200)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); g.GetJob(ctx, credA, "acct", "job") }()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := api.calls.Load(); n != 1 {
		t.Errorf("10 concurrent identical reads made %d calls, want 1", n)
	}
	g.GetJob(ctx, credA, "acct", "job")
	if n := api.calls.Load(); n != 1 {
		t.Errorf("a read within the TTL made a call (%d)", n)
	}
	clk.Advance(3 * time.Second)
	g.GetJob(ctx, credA, "acct", "job")
	if n := api.calls.Load(); n != 2 {
		t.Errorf("a read after the TTL: %d calls, want 2", n)
	}
}

func TestGuardKeysByCredential(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{GetJobFn: func(ctx context.Context, cred apiclient.Credential, a, j string) (*apiclient.Job, error) {
		return &apiclient.Job{ID: j, Comment: cred.APIToken}, nil
	}}
	g, _ := newGuard(api, 1200, 200)
	a, _ := g.GetJob(context.Background(), credA, "acct", "job")
	b, _ := g.GetJob(context.Background(), credB, "acct", "job")
	if a.Comment != credA.APIToken || b.Comment != credB.APIToken || api.calls.Load() != 2 {
		t.Errorf("analyst B got data fetched with A's credential: %q, %q, %d calls", a.Comment, b.Comment, api.calls.Load())
	}
	jobsA, _, _ := g.ListJobs(context.Background(), credA, "acct", apiclient.ListJobsOptions{})
	jobsB, _, _ := g.ListJobs(context.Background(), credB, "acct", apiclient.ListJobsOptions{})
	if jobsA[0].ID == jobsB[0].ID {
		t.Error("list cache shared between credentials")
	}
}

func TestGuardCancelDropsCachedReads(t *testing.T) {
	t.Parallel()
	status := apiclient.StatusProcessing
	api := &fakeAPI{
		GetJobFn: func(ctx context.Context, cred apiclient.Credential, a, j string) (*apiclient.Job, error) {
			return &apiclient.Job{ID: j, Status: status}, nil
		},
		CancelJobFn: func(ctx context.Context, cred apiclient.Credential, a, j string) (*apiclient.Job, error) {
			status = apiclient.StatusCancelled
			return &apiclient.Job{ID: j, Status: status}, nil
		},
	}
	g, _ := newGuard(api, 1200, 200)
	g.GetJob(context.Background(), credA, "acct", "job")
	g.CancelJob(context.Background(), credA, "acct", "job")
	if job, _ := g.GetJob(context.Background(), credA, "acct", "job"); job.Status != apiclient.StatusCancelled {
		t.Errorf("after cancel the cached PROCESSING answer was served: %s", job.Status)
	}
}

// A read that began before a cancel must not put its old answer back in the
// cache; and a caller that goes away does not fail the others sharing its call.
func TestGuardReadDuringCancel(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	status := apiclient.StatusProcessing
	var mu sync.Mutex
	api := &fakeAPI{
		GetJobFn: func(ctx context.Context, cred apiclient.Credential, a, j string) (*apiclient.Job, error) {
			mu.Lock()
			s := status
			mu.Unlock()
			close(started)
			<-release
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return &apiclient.Job{ID: j, Status: s}, nil
		},
		CancelJobFn: func(ctx context.Context, cred apiclient.Credential, a, j string) (*apiclient.Job, error) {
			mu.Lock()
			status = apiclient.StatusCancelled
			mu.Unlock()
			return &apiclient.Job{ID: j, Status: apiclient.StatusCancelled}, nil
		},
	}
	g, _ := newGuard(api, 1200, 200)
	first, cancelFirst := context.WithCancel(context.Background())
	firstDone, secondDone := make(chan error, 1), make(chan error, 1)
	go func() { _, err := g.GetJob(first, credA, "acct", "job"); firstDone <- err }()
	<-started
	go func() { _, err := g.GetJob(context.Background(), credA, "acct", "job"); secondDone <- err }()
	time.Sleep(20 * time.Millisecond)
	cancelFirst()
	if err := <-firstDone; !errors.Is(err, context.Canceled) {
		t.Errorf("the first caller went away but got %v", err)
	}
	g.CancelJob(context.Background(), credA, "acct", "job")
	close(release)
	if err := <-secondDone; err != nil {
		t.Errorf("a caller sharing the read failed because the first went away: %v", err)
	}
	api.GetJobFn = func(ctx context.Context, cred apiclient.Credential, a, j string) (*apiclient.Job, error) {
		return &apiclient.Job{ID: j, Status: apiclient.StatusCancelled}, nil
	}
	if job, _ := g.GetJob(context.Background(), credA, "acct", "job"); job.Status != apiclient.StatusCancelled {
		t.Errorf("after the cancel the read shows %s from before it", job.Status)
	}
}

func TestGuardRefusedCancelDropsTheJobsCachedAnswer(t *testing.T) {
	t.Parallel()
	status := apiclient.StatusProcessing
	api := &fakeAPI{
		GetJobFn: func(ctx context.Context, cred apiclient.Credential, a, j string) (*apiclient.Job, error) {
			return &apiclient.Job{ID: j, Status: status}, nil
		},
		CancelJobFn: func(ctx context.Context, cred apiclient.Credential, a, j string) (*apiclient.Job, error) {
			return nil, &apiclient.APIError{StatusCode: 400}
		},
	}
	g, _ := newGuard(api, 1200, 200)
	g.GetJob(context.Background(), credA, "acct", "job")
	status = apiclient.StatusCompleted // it finished meanwhile: that is why the cancel is refused
	g.CancelJob(context.Background(), credA, "acct", "job")
	if job, _ := g.GetJob(context.Background(), credA, "acct", "job"); job.Status != apiclient.StatusCompleted {
		t.Errorf("the read-back after a refused cancel came from the cache: %s", job.Status)
	}
}

func TestGuardOptionsValidated(t *testing.T) {
	t.Parallel()
	if _, err := guard.New(&fakeAPI{}, guard.Options{Limit: 100, Headroom: 200}); err == nil {
		t.Error("a budget smaller than its headroom was accepted")
	}
	if _, err := guard.New(&fakeAPI{}, guard.Options{Limit: 100}); err != nil {
		t.Errorf("a small budget with the default headroom: %v", err)
	}
}

// A transient read (the Refresher's) is not kept: the next read asks again,
// and the cache holds nothing for it.
func TestGuardTransientReadsAreNotKept(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{GetJobFn: func(ctx context.Context, cred apiclient.Credential, a, j string) (*apiclient.Job, error) {
		return &apiclient.Job{ID: j}, nil
	}}
	g, _ := newGuard(api, 1200, 200)
	ctx := context.Background()
	g.GetJob(guard.Transient(ctx), credA, "acct", "job")
	if _, _, ok := g.Known(credA, "acct", "job"); ok {
		t.Error("the transient answer was kept")
	}
	g.GetJob(ctx, credA, "acct", "job")
	if n := api.calls.Load(); n != 2 {
		t.Errorf("calls = %d, want 2 (nothing kept from the transient read)", n)
	}
}
