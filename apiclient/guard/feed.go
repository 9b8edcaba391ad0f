package guard

import (
	"context"
	"errors"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// run reads the feed's page whenever it is an interval old (with a Fleet:
// leads or follows, see cycle), until the feed is unwatched for idle,
// forgotten, or the Refresher closes.
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
			leading := f.fl.role == roleLeader
			r.mu.Unlock()
			if leading {
				r.release(f) // a follower whose tabs still watch takes over at once
			}
			return
		}
		wait := f.reading
		var d time.Duration
		switch {
		case wait != nil:
		case r.due(f, now):
			wait = r.begin(f, time.Time{}, "")
		default:
			d = r.untilDue(f, now)
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

// pageRead is one read of a feed's page and of the watched running jobs
// the page does not hold.
type pageRead struct {
	start     time.Time // when the read began
	jobs      []apiclient.Job
	info      apiclient.ResultInfo
	err       error
	at, tried time.Time
	stale     error
	singles   map[string]single
	shared    map[string]bool // jobs that tabs on other replicas watch
	puts      uint64          // the feed's Puts when the read began
	base      uint64          // the snapshot's version when the read began
}

// refresh makes the feed's one read of the interval, plus the reads of
// watched running jobs the page does not hold (here, and those of shared,
// the jobs other replicas' tabs watch), and applies the result to the
// feed's snapshot (see apply for overlay). ctx bounds the read.
func (r *Refresher) refresh(ctx context.Context, f *feed, shared []string, overlay bool) *pageRead {
	r.mu.Lock()
	rd := &pageRead{puts: f.puts, start: r.now(), shared: make(map[string]bool, len(shared)), singles: map[string]single{}}
	rd.base = f.snap.version()
	for _, j := range shared {
		rd.shared[j] = true
	}
	watched := r.watchedJobs(f, rd)
	r.mu.Unlock()

	rd.jobs, rd.info, rd.err = r.api.ListJobs(Transient(ctx), f.cred, f.account, apiclient.ListJobsOptions{Page: 1, PerPage: r.perPage})
	rd.tried = r.now()
	rd.at = rd.tried
	if t, why := StaleReason(ctx); rd.err == nil && !t.IsZero() {
		rd.at, rd.stale = t, why // the guard's last good answer: the read itself failed
	}
	if rd.err == nil {
		onPage := make(map[string]bool, len(rd.jobs))
		for i := range rd.jobs {
			onPage[rd.jobs[i].ID] = true
		}
		for _, j := range watched {
			if !onPage[j] {
				rd.singles[j] = r.readOne(ctx, f, j)
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.apply(f, rd, overlay)
	return rd
}

// watchedJobs returns the running jobs that tabs watch, to read when the
// page does not hold them: this process's (those idle for r.idle are
// dropped) and those of rd.shared, at most maxWatchedJobs. r.mu is held.
func (r *Refresher) watchedJobs(f *feed, rd *pageRead) []string {
	var watched []string
	add := func(j string) {
		if old, ok := f.snap.Entry(j); (!ok || !old.Job.Status.Terminal()) && len(watched) < maxWatchedJobs {
			watched = append(watched, j) // a terminal job never changes: no read needed
		}
	}
	for j, at := range f.jobs {
		if rd.start.Sub(at) >= r.idle {
			delete(f.jobs, j)
			delete(f.misses, j)
			continue
		}
		add(j)
	}
	for j := range rd.shared {
		if _, local := f.jobs[j]; !local {
			add(j)
		}
	}
	return watched
}

// apply builds the feed's snapshot from a read and the snapshot it has now.
// With overlay (a feed that leads a fleet), an entry of that snapshot whose
// version is above the one the read began from came from a cancel's answer
// or a job read on its own, here or on another replica, after the read
// began: it is newer than the read and stays. Without a Fleet the pins do
// that for cancels, as before. It can run again on the same read, after a
// newer shared snapshot was adopted. A leader's snapshot also says when the
// next one will come: an interval after this read, plus as long as this
// one took. r.mu is held.
func (r *Refresher) apply(f *feed, rd *pageRead, overlay bool) {
	var next time.Time
	if overlay {
		next = rd.tried.Add(r.interval + r.now().Sub(rd.start))
	}
	if rd.err != nil {
		s := f.snap.failed(rd.err, rd.tried)
		s.next = next
		f.snap = s
		return
	}
	b := newBuilder(f.snap, r.nextVersion())
	b.pool = &r.pool
	b.next.At, b.next.Tried, b.next.Err, b.next.Listed, b.next.next = rd.at, rd.tried, rd.stale, true, next
	b.next.Page = make([]string, len(rd.jobs))
	b.next.Returned = max(rd.info.Returned, len(rd.jobs))
	// Full only when Cloudflare kept to per_page and said there is no more.
	b.next.Full = len(rd.jobs) < r.perPage && !rd.info.MayHaveMore() && rd.info.Returned <= len(rd.jobs)
	for i := range rd.jobs {
		b.next.Page[i] = rd.jobs[i].ID
		b.put(&rd.jobs[i], rd.at, rd.tried, rd.stale)
	}
	for j, s := range rd.singles {
		old, had := b.prev.Entry(j)
		switch {
		case s.err == nil:
			b.put(s.job, s.at, rd.tried, s.stale)
			delete(f.misses, j)
		case had && !errors.Is(s.err, apiclient.ErrNotFound):
			b.keep(old, rd.tried, s.err)
		default:
			f.misses[j] = miss{at: rd.tried, err: s.err}
			delete(f.jobs, j) // gone, or never read: nothing to keep watching
		}
	}
	// Jobs of the old snapshot that a page still watches stay (a finished
	// job beyond the page, a job read on its own since the read began).
	if b.prev != nil {
		for j, e := range b.prev.Jobs {
			_, ok := b.next.Jobs[j]
			if _, watchedNow := f.jobs[j]; !ok && (watchedNow || rd.shared[j]) {
				b.keep(e, rd.tried, nil)
			}
			if overlay && e.Version > rd.base {
				b.next.Jobs[j] = e
			}
		}
	}
	// A cancel's answer that came after this read began is newer than it.
	for j, p := range f.pins {
		if p.seq > rd.puts {
			b.put(p.job, p.at, p.at, nil)
		} else {
			delete(f.pins, j)
		}
	}
	f.snap = b.done()
}

// readMissing reads the jobs of jobIDs that the feed's snapshot lacks, each
// once per interval at most, and returns the snapshot with them and the
// first failure. With a Fleet a job read so is shared with the other
// replicas and watched there too (see shareRead).
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
		if r.fleet != nil && r.catchUp(ctx, f, j) {
			continue // another replica had read it
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
		r.mu.Unlock()
		if r.fleet != nil && r.shareRead(f, j, s) {
			continue
		}
		r.mu.Lock()
		b := newBuilder(f.snap, r.nextVersion())
		b.pool = &r.pool
		b.copyJobs()
		b.put(s.job, s.at, r.now(), s.stale)
		f.snap = b.done()
		r.mu.Unlock()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.served(f), firstErr
}
