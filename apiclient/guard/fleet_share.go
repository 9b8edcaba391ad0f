package guard

import (
	"context"
	"errors"
	"time"
)

// loadInto loads the feed's shared snapshot when it is newer than the one
// the feed has, and adopts it: its data and its versions, so that a tab's
// version from one replica means the same on every other. fresh reports
// whether it did. errVanished: the snapshot is gone.
func (r *Refresher) loadInto(ctx context.Context, f *feed) (fresh bool, err error) {
	r.mu.Lock()
	after := f.fl.seq
	r.mu.Unlock()
	seq, s, err := r.load(ctx, f.key, f.account, after)
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f.fl.loaded, f.fl.stale = r.now(), false
	switch {
	case seq == 0 && after > 0:
		return false, errVanished
	case s != nil && seq > f.fl.seq:
		r.adopt(f, s, seq)
		return true, nil
	}
	return false, nil
}

// load reads the stored snapshot of a feed when its sequence is above
// after; s is nil otherwise. A snapshot that does not decode (written by a
// newer release) counts as the Fleet failing.
func (r *Refresher) load(ctx context.Context, ck, account string, after uint64) (seq uint64, s *Snapshot, err error) {
	c, cancel := r.fleetCtx(ctx)
	seq, data, err := r.fleet.Load(c, ck, account, after)
	cancel()
	if err == nil && data != nil {
		s, err = decodeSnapshot(data, &r.pool)
	}
	if err != nil {
		r.fleetFailed(err)
		return 0, nil, err
	}
	r.fleetOK()
	if s != nil {
		r.mu.Lock()
		r.version = max(r.version, s.Version) // versions handed out here stay above the fleet's
		r.mu.Unlock()
	}
	return seq, s, nil
}

// adopt makes s, stored under seq, the feed's snapshot. The first one
// adopted takes the cancels' answers put while it was loaded. r.mu is held.
func (r *Refresher) adopt(f *feed, s *Snapshot, seq uint64) {
	r.version = max(r.version, s.Version)
	if f.snap == nil && len(f.pins) > 0 {
		b := newBuilder(s, r.nextVersion())
		b.pool = &r.pool
		b.copyJobs()
		for _, p := range f.pins {
			b.put(p.job, p.at, p.at, nil)
		}
		s = b.done()
	}
	f.snap, f.fl.seq = s, seq
}

// share applies a change (a cancel's answer, a job read on its own) to the
// feed's shared snapshot: to the one this replica has when it is the
// stored one, else to the stored one, loaded; and again on a newer one when
// another write came first. f may be nil (no feed watches the account
// here). It returns the snapshot stored, adopted by f; ok is false when
// nothing is stored yet or the Fleet did not answer: then the caller keeps
// the change to itself.
func (r *Refresher) share(ctx context.Context, ck, account string, f *feed, change func(*builder)) (*Snapshot, bool) {
	var base *Snapshot
	var seq uint64
	if f != nil {
		r.mu.Lock()
		base, seq = f.snap, f.fl.seq
		r.mu.Unlock()
	}
	for attempt := 0; attempt < 4; attempt++ {
		if seq == 0 || attempt > 0 {
			after := seq
			if attempt == 0 {
				after = 0 // this replica's own snapshot was never stored: take the stored one
			}
			s, loaded, err := r.load(ctx, ck, account, after)
			switch {
			case err != nil:
				return nil, false
			case s == 0 && after > 0 && f != nil:
				r.drop(f, false)
				return nil, false
			case s == 0:
				return nil, false // nothing stored: the leader's first read takes it
			case loaded != nil:
				base, seq = loaded, s
				if f != nil {
					r.mu.Lock()
					if s > f.fl.seq {
						r.adopt(f, loaded, s)
					}
					r.mu.Unlock()
				}
			}
		}
		r.mu.Lock()
		b := newBuilder(base, r.nextVersion())
		b.pool = &r.pool
		b.copyJobs()
		change(b)
		next := b.done()
		r.mu.Unlock()
		if next.Version == base.version() {
			return base, true // nothing changed
		}
		data, err := encodeSnapshot(next)
		if err != nil {
			return nil, false
		}
		c, cancel := r.fleetCtx(ctx)
		newSeq, ok, err := r.fleet.Publish(c, ck, account, seq, data, r.now())
		cancel()
		if err != nil {
			r.fleetFailed(err)
			return nil, false
		}
		if ok {
			if f != nil {
				r.mu.Lock()
				if newSeq > f.fl.seq {
					f.snap, f.fl.seq = next, newSeq
				}
				r.mu.Unlock()
			}
			return next, true
		}
	}
	return nil, false
}

// catchUp loads the shared snapshot before a job the feed lacks is read
// from Cloudflare, at most once per interval/4: another replica may have
// read it already. It reports whether the snapshot now holds the job.
func (r *Refresher) catchUp(ctx context.Context, f *feed, jobID string) bool {
	r.mu.Lock()
	ok := (f.fl.role == roleLeader || f.fl.role == roleFollower) && r.now().Sub(f.fl.loaded) >= r.interval/4
	r.mu.Unlock()
	if !ok {
		return false
	}
	if _, err := r.loadInto(ctx, f); err != nil {
		if errors.Is(err, errVanished) {
			r.drop(f, false)
		}
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, have := f.snap.Entry(jobID)
	return have
}

// shareRead puts a job the feed lacked, just read from Cloudflare, into the
// shared snapshot, and on a follower records at once that its tabs watch
// it, so that the leader's next read covers it. It reports whether the job
// was shared (and is in the feed's snapshot).
func (r *Refresher) shareRead(f *feed, jobID string, s single) bool {
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	now := r.now()
	if _, ok := r.share(ctx, f.key, f.account, f, func(b *builder) { b.put(s.job, s.at, now, s.stale) }); !ok {
		return false
	}
	r.mu.Lock()
	follower := f.fl.role == roleFollower
	if f.fl.registered == nil {
		f.fl.registered = map[string]time.Time{}
	}
	r.mu.Unlock()
	if follower {
		until := now.Add(r.idle)
		c, cancel := r.fleetCtx(ctx)
		err := r.fleet.Watch(c, f.key, f.account, []string{jobID}, until)
		cancel()
		if err != nil {
			r.fleetFailed(err)
		} else {
			r.mu.Lock()
			f.fl.registered[jobID] = until
			r.mu.Unlock()
		}
	}
	return true
}
