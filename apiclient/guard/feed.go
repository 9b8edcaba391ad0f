package guard

import (
	"context"
	"errors"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// run reads the feed's page whenever it is an interval old, until the feed
// is unwatched for idle, forgotten, or the Refresher closes.
func (r *Refresher) run(id feedID, f *feed) {
	defer f.cancel()
	for {
		r.mu.Lock()
		now := r.now()
		if r.feeds[id] != f {
			r.mu.Unlock()
			return
		}
		if f.reading == nil && f.snap != nil && now.Sub(f.lastWatch) >= r.idle {
			delete(r.feeds, id)
			r.mu.Unlock()
			return
		}
		wait := f.reading
		var d time.Duration
		switch {
		case wait != nil:
		case r.due(f, now):
			wait = r.begin(f, time.Time{}, "")
		default:
			d = r.interval - now.Sub(f.snap.Tried)
		}
		r.mu.Unlock()
		if wait != nil {
			select {
			case <-wait:
			case <-f.ctx.Done():
				return
			}
			continue
		}
		if r.sleep(f.ctx, d) != nil {
			return
		}
	}
}

// single is the outcome of reading one job on its own.
type single struct {
	job   *apiclient.Job
	at    time.Time
	stale error // the guard served an older answer, for this reason
	err   error
}

// readOne reads one job through the API with a stale marker of its own, so
// that an older answer the guard serves is recorded as such.
func (r *Refresher) readOne(ctx context.Context, f *feed, jobID string) single {
	ctx = WithStaleMarker(ctx)
	job, err := r.api.GetJob(ctx, f.cred, f.account, jobID)
	s := single{job: job, at: r.now(), err: err}
	if at, why := StaleReason(ctx); err == nil && !at.IsZero() {
		s.at, s.stale = at, why
	}
	return s
}

// refresh makes the feed's one read of the interval, plus the reads of
// watched running jobs the page does not hold, publishes the result and
// closes done.
func (r *Refresher) refresh(f *feed, deadline time.Time, requestID string, done chan struct{}) {
	if deadline.IsZero() {
		deadline = time.Now().Add(r.timeout) // a context's deadline is real time, whatever r.now says
	}
	ctx, cancel := context.WithDeadline(WithStaleMarker(apiclient.WithRequestID(f.ctx, requestID)), deadline)
	defer cancel()
	r.mu.Lock()
	puts, prev, now := f.puts, f.snap, r.now()
	var watched []string // running jobs a page watches, to read when the list does not hold them
	for j, at := range f.jobs {
		if now.Sub(at) >= r.idle {
			delete(f.jobs, j)
			delete(f.misses, j)
			continue
		}
		if old, ok := prev.Entry(j); !ok || !old.Job.Status.Terminal() {
			watched = append(watched, j) // a terminal job never changes: no read needed
		}
	}
	r.mu.Unlock()

	jobs, info, err := r.api.ListJobs(Transient(ctx), f.cred, f.account, apiclient.ListJobsOptions{Page: 1, PerPage: r.perPage})
	tried := r.now()
	at, stale := tried, error(nil)
	if t, why := StaleReason(ctx); err == nil && !t.IsZero() {
		at, stale = t, why // the guard's last good answer: the read itself failed
	}
	singles := map[string]single{}
	if err == nil {
		onPage := make(map[string]bool, len(jobs))
		for i := range jobs {
			onPage[jobs[i].ID] = true
		}
		for _, j := range watched {
			if !onPage[j] {
				singles[j] = r.readOne(ctx, f, j)
			}
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() { f.reading = nil; close(done) }()
	if err != nil {
		f.snap = f.snap.failed(err, tried)
		return
	}
	b := newBuilder(f.snap, r.nextVersion())
	b.pool = &r.pool
	b.next.At, b.next.Tried, b.next.Err, b.next.Listed = at, tried, stale, true
	b.next.Page = make([]string, len(jobs))
	b.next.Returned = max(info.Returned, len(jobs))
	// Full only when Cloudflare kept to per_page and said there is no more.
	b.next.Full = len(jobs) < r.perPage && !info.MayHaveMore() && info.Returned <= len(jobs)
	for i := range jobs {
		b.next.Page[i] = jobs[i].ID
		b.put(&jobs[i], at, tried, stale)
	}
	for j, s := range singles {
		old, had := b.prev.Entry(j)
		switch {
		case s.err == nil:
			b.put(s.job, s.at, tried, s.stale)
			delete(f.misses, j)
		case had && !errors.Is(s.err, apiclient.ErrNotFound):
			b.keep(old, tried, s.err)
		default:
			f.misses[j] = miss{at: tried, err: s.err}
			delete(f.jobs, j) // gone, or never read: nothing to keep watching
		}
	}
	// Jobs of the old snapshot that a page still watches stay (a finished
	// job beyond the page, a job read on its own since the read began).
	if b.prev != nil {
		for j, e := range b.prev.Jobs {
			_, ok := b.next.Jobs[j]
			if _, watchedNow := f.jobs[j]; !ok && watchedNow {
				b.keep(e, tried, nil)
			}
		}
	}
	// A cancel's answer that came after this read began is newer than it.
	for j, p := range f.pins {
		if p.seq > puts {
			b.put(p.job, p.at, p.at, nil)
		} else {
			delete(f.pins, j)
		}
	}
	f.snap = b.done()
}

// readMissing reads the jobs of jobIDs that the feed's snapshot lacks, each
// once per interval at most, and returns the snapshot with them and the
// first failure.
func (r *Refresher) readMissing(ctx context.Context, f *feed, jobIDs []string) (*Snapshot, error) {
	var firstErr error
	for _, j := range jobIDs {
		r.mu.Lock()
		_, have := f.snap.Entry(j)
		_, watched := f.jobs[j]
		full := !watched && len(f.jobs) >= maxWatchedJobs
		m, missed := f.misses[j]
		recent := missed && r.now().Sub(m.at) < r.interval
		r.mu.Unlock()
		switch {
		case have:
			continue
		case full:
			m.err, recent = errTooManyJobs, true
			fallthrough
		case recent:
			if firstErr == nil {
				firstErr = m.err
			}
			continue
		}
		s := r.readOne(ctx, f, j)
		r.mu.Lock()
		if s.err != nil {
			if ctx.Err() == nil { // a tab that went away says nothing about the job
				f.misses[j] = miss{at: r.now(), err: s.err}
			}
			r.mu.Unlock()
			if firstErr == nil {
				firstErr = s.err
			}
			continue
		}
		delete(f.misses, j)
		b := newBuilder(f.snap, r.nextVersion())
		b.pool = &r.pool
		b.copyJobs()
		b.put(s.job, s.at, r.now(), s.stale)
		f.snap = b.done()
		r.mu.Unlock()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return f.snap, firstErr
}
