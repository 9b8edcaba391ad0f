package guard

import (
	"context"
	"errors"
	"log/slog"
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
//
// A read is made only when the snapshot is at least an interval old, by
// whoever notices first: the feed's own timer, or a watcher (which then
// waits for that read). So there is at most one read of the page per
// interval, however many tabs ask, and a tab never sees data older than an
// interval plus the read's own time.
//
// With a Fleet (RefresherOptions.Fleet), the replicas sharing a database
// share the feeds as well: one replica leads each feed and reads Cloudflare,
// the others load the snapshot it publishes (see fleet.go).
type Refresher struct {
	api      API
	interval time.Duration
	idle     time.Duration
	timeout  time.Duration
	perPage  int
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error

	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex
	feeds   map[feedID]*feed
	version uint64 // the latest version handed out
	pool    jobPool

	fleet  Fleet         // nil: this process alone
	holder string        // this replica's name in the fleet's leases
	lease  time.Duration // how long a lease lasts unrenewed
	log    *slog.Logger
	fleetState
}

// RefresherOptions tune NewRefresher; zero values take the defaults.
type RefresherOptions struct {
	Interval time.Duration // between reads; default 5s
	Idle     time.Duration // a feed stops after this long unwatched; default 3 intervals
	Timeout  time.Duration // bounds one read of a feed; default 15s
	PerPage  int           // jobs per read; default 100
	Now      func() time.Time
	// Sleep waits between reads; tests replace it to step the feeds.
	Sleep func(context.Context, time.Duration) error
	// Fleet shares the feeds with the other replicas on one database; nil:
	// every feed is this process's own, read from Cloudflare here.
	Fleet Fleet
	// Holder names this replica in the Fleet's leases; default a random ID.
	Holder string
	// Log is told when the Fleet stops or starts answering; default none.
	Log *slog.Logger
}

// NewRefresher reads through api (usually the Guard, so the budget, the
// breaker and Retry-After hold).
func NewRefresher(api API, o RefresherOptions) *Refresher {
	r := &Refresher{api: api, interval: o.Interval, idle: o.Idle, timeout: o.Timeout, perPage: o.PerPage,
		now: o.Now, sleep: o.Sleep, feeds: map[feedID]*feed{}}
	if r.interval <= 0 {
		r.interval = 5 * time.Second
	}
	if r.idle <= 0 {
		r.idle = 3 * r.interval
	}
	if r.timeout <= 0 {
		r.timeout = 15 * time.Second
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
	r.startFleet(o)
	return r
}

// Interval is the time between two reads of a feed.
func (r *Refresher) Interval() time.Duration { return r.interval }

// Feeds returns how many feeds are running.
func (r *Refresher) Feeds() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.feeds)
}

// maxWatchedJobs bounds the jobs one feed watches beyond its page (job
// pages, a list's live cards): each costs a read per interval while it runs
// and is not on the page. Jobs asked for beyond it are not read.
const maxWatchedJobs = 500

// errTooManyJobs is readMissing's answer for a job beyond maxWatchedJobs.
var errTooManyJobs = errors.New("guard: too many jobs watched on one account; reload the page")

// feedID names a feed without keeping the secret.
type feedID struct{ cred, account string }

// feed is one credential's watch on one account. Its fields are guarded by
// the Refresher's mutex.
type feed struct {
	ctx       context.Context // ends when the feed stops: its sleep and its read end with it
	cancel    context.CancelFunc
	cred      apiclient.Credential // kept only while the feed runs: it is needed to read
	key       string               // Key(cred)
	account   string
	lastWatch time.Time
	jobs      map[string]time.Time // job IDs watched beyond the list → last watch
	misses    map[string]miss      // jobs the snapshot lacks whose own read failed
	pins      map[string]pin       // cancels' answers, kept over a read that started before them
	puts      uint64               // counts Puts
	snap      *Snapshot
	reading   chan struct{} // non-nil while a read of the page runs; closed when it is published
	fl        feedFleet     // the feed's place in the Fleet
}

// miss is a failed read of one job the snapshot lacks: it is not asked
// for again within an interval.
type miss struct {
	at  time.Time
	err error
}

// pin is Cloudflare's answer to a cancel, with the Put that brought it.
type pin struct {
	job *apiclient.Job
	at  time.Time
	seq uint64
}

// nextVersion hands out a version above every one before: the clock in
// microseconds, so versions also keep growing across restarts of the
// process. r.mu is held.
func (r *Refresher) nextVersion() uint64 {
	r.version = max(r.version+1, uint64(max(r.now().UnixMicro(), 0)))
	return r.version
}

// Watch records that a tab of cred watches account (and, from a job page
// or a list's live cards, the jobs named), starts the account's feed if it
// is not running, and returns its snapshot. When the snapshot is an
// interval old Watch reads it again first; before the feed's first read it
// waits for that read. A job the snapshot lacks is read once, and its
// failure is returned with the snapshot; a job that cannot be read is not
// asked for again within an interval. When ctx ends before a read it waited
// for, Watch returns the older snapshot marked with ctx's error, or nil and
// the error when there is none.
func (r *Refresher) Watch(ctx context.Context, cred apiclient.Credential, account string, jobIDs ...string) (*Snapshot, error) {
	id := feedID{Key(cred), account}
	r.mu.Lock()
	f := r.feeds[id]
	if f == nil {
		f = &feed{cred: cred, key: id.cred, account: account, jobs: map[string]time.Time{}, misses: map[string]miss{}, pins: map[string]pin{}}
		f.ctx, f.cancel = context.WithCancel(r.ctx)
		r.feeds[id] = f
		go r.run(id, f)
	}
	now := r.now()
	f.lastWatch = now
	for _, j := range jobIDs {
		if _, ok := f.jobs[j]; ok || len(f.jobs) < maxWatchedJobs {
			f.jobs[j] = now
		}
	}
	var wait chan struct{}
	switch {
	case f.reading == nil && r.due(f, now):
		deadline, _ := ctx.Deadline()
		wait = r.begin(f, deadline, apiclient.RequestID(ctx))
	case f.snap == nil:
		wait = f.reading // the first read is under way
	}
	r.mu.Unlock()
	if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
			r.mu.Lock()
			s := f.snap
			r.mu.Unlock()
			if s == nil {
				return nil, ctx.Err()
			}
			return s.failed(ctx.Err(), r.now()), nil
		}
	}
	return r.readMissing(ctx, f, jobIDs)
}

// due reports whether the feed's page should be read again (with a Fleet:
// also whether the shared snapshot should be loaded). r.mu is held.
func (r *Refresher) due(f *feed, now time.Time) bool {
	switch {
	case f.snap == nil:
		return true
	case r.fleet != nil:
		return r.fleetDue(f, now)
	}
	return now.Sub(f.snap.Tried) >= r.interval
}

// untilDue is how long until due will report true. r.mu is held.
func (r *Refresher) untilDue(f *feed, now time.Time) time.Duration {
	if r.fleet != nil && f.fl.role == roleFollower {
		return min(f.fl.nextLoad.Sub(now), f.fl.nextLead.Sub(now))
	}
	return r.interval - now.Sub(f.snap.Tried)
}

// begin starts a read of the feed's page, within deadline (that of the
// page that asked for it) or, when zero, the Refresher's timeout, sent with
// the request ID of the page that asked for it, if any. r.mu is held.
func (r *Refresher) begin(f *feed, deadline time.Time, requestID string) chan struct{} {
	ch := make(chan struct{})
	f.reading = ch
	go func() {
		if deadline.IsZero() {
			deadline = time.Now().Add(r.timeout) // a context's deadline is real time, whatever r.now says
		}
		ctx, cancel := context.WithDeadline(WithStaleMarker(apiclient.WithRequestID(f.ctx, requestID)), deadline)
		defer cancel()
		defer func() {
			r.mu.Lock()
			f.reading = nil
			r.mu.Unlock()
			close(ch)
		}()
		if r.fleet == nil {
			r.refresh(ctx, f, nil, false)
			return
		}
		r.cycle(ctx, f)
	}()
	return ch
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
