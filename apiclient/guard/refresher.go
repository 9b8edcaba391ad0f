package guard

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// Refresher keeps one snapshot per credential and account fresh while
// anyone watches it: one upstream read per interval (the first page of the
// account's jobs, newest first, large enough to hold its running jobs), plus
// one read per watched running job that the page does not hold. Every list
// poll, card poll and job page of that credential is answered from the
// snapshot, so the upstream cost does not grow with tabs or jobs watched.
// When nobody has watched for a while the feed stops and nothing is polled.
type Refresher struct {
	api      API
	interval time.Duration
	idle     time.Duration
	perPage  int
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error

	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	feeds  map[feedID]*feed
}

// RefresherOptions tune NewRefresher; zero values take the defaults.
type RefresherOptions struct {
	Interval time.Duration // between reads; default 5s
	Idle     time.Duration // a feed stops after this long unwatched; default 3 intervals
	PerPage  int           // jobs per read; default 100
	Now      func() time.Time
	// Sleep waits between reads; tests replace it to step the feeds.
	Sleep func(context.Context, time.Duration) error
}

// NewRefresher reads through api (usually the Guard, so the budget, the
// breaker and Retry-After hold).
func NewRefresher(api API, o RefresherOptions) *Refresher {
	r := &Refresher{api: api, interval: o.Interval, idle: o.Idle, perPage: o.PerPage, now: o.Now, sleep: o.Sleep,
		feeds: map[feedID]*feed{}}
	if r.interval <= 0 {
		r.interval = 5 * time.Second
	}
	if r.idle <= 0 {
		r.idle = 3 * r.interval
	}
	if r.perPage <= 0 || r.perPage > 1000 {
		r.perPage = 100
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.sleep == nil {
		r.sleep = sleepCtx
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r
}

// Interval is the time between two reads of a feed.
func (r *Refresher) Interval() time.Duration { return r.interval }

// Close stops every feed.
func (r *Refresher) Close() { r.cancel() }

// Feeds returns how many feeds are running.
func (r *Refresher) Feeds() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.feeds)
}

// feedID names a feed without keeping the secret.
type feedID struct{ cred, account string }

// feed is one credential's watch on one account.
type feed struct {
	cred      apiclient.Credential // kept only while the feed runs: it is needed to read
	account   string
	lastWatch time.Time
	jobs      map[string]time.Time // job IDs watched by job pages → last watch
	snap      *Snapshot
	ready     chan struct{} // closed after the first read
}

// Watch records that a tab of cred watches account (and, from a job page,
// the jobs named), starts the account's feed if it is not running, and
// returns its latest snapshot. Before the feed's first read it waits for that
// read, until ctx ends.
func (r *Refresher) Watch(ctx context.Context, cred apiclient.Credential, account string, jobIDs ...string) (*Snapshot, error) {
	id := feedID{Key(cred), account}
	now := r.now()
	r.mu.Lock()
	f := r.feeds[id]
	if f == nil {
		f = &feed{cred: cred, account: account, jobs: map[string]time.Time{}, ready: make(chan struct{})}
		r.feeds[id] = f
		go r.run(id, f)
	}
	f.lastWatch = now
	for _, j := range jobIDs {
		f.jobs[j] = now
	}
	_, _, watched := f.snap.Job(firstOr(jobIDs))
	snap := f.snap
	r.mu.Unlock()
	if snap != nil && (len(jobIDs) == 0 || watched) {
		return snap, nil
	}
	if snap == nil {
		select {
		case <-f.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	} else if err := r.readJobs(ctx, f, jobIDs); err != nil {
		return nil, err // a job the feed has not read yet
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return f.snap, nil
}

// Forget stops every feed of cred at once (its credential was deleted or
// its owner's access revoked).
func (r *Refresher) Forget(cred apiclient.Credential) {
	ck := Key(cred)
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.feeds {
		if id.cred == ck {
			delete(r.feeds, id)
		}
	}
}

// run reads the account every interval until the feed is unwatched for
// idle, forgotten, or the Refresher closes.
func (r *Refresher) run(id feedID, f *feed) {
	for first := true; ; first = false {
		r.refresh(id, f)
		if first {
			close(f.ready)
		}
		if r.sleep(r.ctx, r.interval) != nil {
			return
		}
		r.mu.Lock()
		if r.feeds[id] != f || r.now().Sub(f.lastWatch) >= r.idle {
			if r.feeds[id] == f {
				delete(r.feeds, id)
			}
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
	}
}

// refresh makes the feed's one read of the interval, plus the reads of
// watched running jobs the page does not hold, and publishes the result.
func (r *Refresher) refresh(id feedID, f *feed) {
	ctx, cancel := context.WithTimeout(r.ctx, r.interval)
	defer cancel()
	jobs, _, err := r.api.ListJobs(ctx, f.cred, f.account, apiclient.ListJobsOptions{Page: 1, PerPage: r.perPage})
	r.mu.Lock()
	prev := f.snap
	watched := make([]string, 0, len(f.jobs))
	for j, at := range f.jobs {
		if r.now().Sub(at) >= r.idle {
			delete(f.jobs, j)
			continue
		}
		watched = append(watched, j)
	}
	r.mu.Unlock()
	if err != nil {
		r.publish(f, prev.failed(err, r.now()))
		return
	}
	b := newBuilder(prev, r.now())
	b.next.Full = len(jobs) < r.perPage
	for i := range jobs {
		b.next.Page = append(b.next.Page, jobs[i].ID)
		b.put(&jobs[i])
	}
	for _, j := range watched {
		if _, ok := b.next.Jobs[j]; ok {
			continue
		}
		if old, _, ok := prev.Job(j); ok && old.Status.Terminal() {
			b.put(old) // a terminal job never changes: no read needed
			continue
		}
		if job, err := r.api.GetJob(ctx, f.cred, f.account, j); err == nil {
			b.put(job)
		} else if old, _, ok := prev.Job(j); ok && !errors.Is(err, apiclient.ErrNotFound) {
			b.put(old)
		}
	}
	r.publish(f, b.done())
}

// readJobs reads jobs that a job page asks for and the feed does not hold
// yet, and adds them to the snapshot.
func (r *Refresher) readJobs(ctx context.Context, f *feed, jobIDs []string) error {
	for _, j := range jobIDs {
		job, err := r.api.GetJob(ctx, f.cred, f.account, j)
		if err != nil {
			return err
		}
		r.mu.Lock()
		b := newBuilder(f.snap, f.snap.At)
		b.next.Page, b.next.Full, b.next.Err = f.snap.Page, f.snap.Full, f.snap.Err
		for id, e := range f.snap.Jobs {
			b.next.Jobs[id] = e
		}
		b.put(job)
		f.snap = b.done()
		r.mu.Unlock()
	}
	return nil
}

// publish makes s the feed's snapshot.
func (r *Refresher) publish(f *feed, s *Snapshot) {
	r.mu.Lock()
	f.snap = s
	r.mu.Unlock()
}

func firstOr(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
