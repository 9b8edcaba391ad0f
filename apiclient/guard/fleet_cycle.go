package guard

import (
	"context"
	"errors"
	"time"
)

// errVanished: the feed's shared snapshot is gone, so its credential was
// forgotten on some replica (a running feed's snapshot is written every
// interval, never pruned).
var errVanished = errors.New("guard: the feed's shared snapshot was deleted")

// cycle is a feed's work with a Fleet whenever it is due: take or renew
// the lease (a follower tries once an interval), load the shared snapshot
// when it may be newer, then lead (read Cloudflare and publish), follow, or,
// when the Fleet did not answer, read Cloudflare alone as without one.
func (r *Refresher) cycle(ctx context.Context, f *feed) {
	r.mu.Lock()
	now := r.now()
	ro := f.fl.role
	readDue := f.snap == nil || now.Sub(f.snap.Tried) >= r.interval
	tryLead := ro == roleNone || ro == roleSolo || ro == roleLeader && readDue ||
		ro == roleFollower && !now.Before(f.fl.nextLead)
	r.mu.Unlock()
	if tryLead {
		c, cancel := r.fleetCtx(ctx)
		leader, seq, err := r.fleet.Lead(c, f.key, f.account, r.holder, now, now.Add(r.lease))
		cancel()
		if err != nil {
			r.fleetFailed(err)
		} else {
			r.fleetOK()
		}
		r.mu.Lock()
		f.fl.nextLead = now.Add(r.interval)
		vanished := err == nil && seq == 0 && f.fl.seq > 0
		switch {
		case err != nil:
			ro = roleSolo
		case leader:
			ro = roleLeader
		default:
			ro = roleFollower
		}
		f.fl.role = ro
		if err == nil && seq != f.fl.seq {
			f.fl.stale = true
		}
		r.mu.Unlock()
		if vanished {
			r.drop(f, leader)
			return
		}
	}
	if ro == roleLeader || ro == roleFollower {
		r.mu.Lock()
		// A follower that only tried the lease, and found the sequence it
		// has, has nothing to load.
		load := f.fl.stale || ro == roleFollower && (f.snap == nil || !now.Before(f.fl.nextLoad))
		r.mu.Unlock()
		if !load && ro == roleFollower {
			r.follow(ctx, f, false)
			return
		}
		if load {
			fresh, err := r.loadInto(ctx, f)
			switch {
			case errors.Is(err, errVanished):
				r.drop(f, ro == roleLeader)
				return
			case err != nil:
				ro = roleSolo
				r.mu.Lock()
				f.fl.role = ro
				r.mu.Unlock()
			case ro == roleFollower:
				r.follow(ctx, f, fresh)
				return
			}
		}
	}
	r.mu.Lock()
	readDue = f.snap == nil || r.now().Sub(f.snap.Tried) >= r.interval
	r.mu.Unlock()
	switch {
	case !readDue: // the snapshot adopted is fresh: the leader before this one just published it
	case ro == roleLeader:
		r.lead(ctx, f)
	default:
		r.refresh(ctx, f, nil, false)
	}
}

// lead reads Cloudflare for the feed, for the jobs this replica's tabs
// watch and those the others' do, and publishes the snapshot. When another
// write came first (a cancel's answer or a job read on another replica, or
// a leader before this one), the stored snapshot is adopted and the read
// applied to it again, so that nothing newer than the read is lost.
func (r *Refresher) lead(ctx context.Context, f *feed) {
	c, cancel := r.fleetCtx(ctx)
	shared, err := r.fleet.Watched(c, f.key, f.account, r.now())
	cancel()
	if err != nil {
		r.fleetFailed(err) // this replica's watched jobs are still read
	}
	rd := r.refresh(ctx, f, shared, true)
	for range 4 {
		r.mu.Lock()
		next, seq := f.snap, f.fl.seq
		r.mu.Unlock()
		data, err := encodeSnapshot(next)
		if err != nil {
			return // it stays this replica's; the next read tries again
		}
		c, cancel := r.fleetCtx(ctx)
		newSeq, ok, err := r.fleet.Publish(c, f.key, f.account, seq, data, r.now())
		cancel()
		if err != nil {
			r.fleetFailed(err)
			return
		}
		if ok {
			r.mu.Lock()
			f.fl.seq = max(f.fl.seq, newSeq)
			r.mu.Unlock()
			r.prune(ctx)
			return
		}
		if _, err := r.loadInto(ctx, f); err != nil {
			if errors.Is(err, errVanished) {
				r.drop(f, true)
			}
			return
		}
		r.mu.Lock()
		r.apply(f, rd, true)
		r.mu.Unlock()
	}
}

// follow records the jobs this replica's tabs watch with the Fleet, so the
// leader reads them too, and sets when to load next: after a load that
// brought a new snapshot, when the leader said it would publish the next;
// when that time came and brought nothing (the leader is late), an
// interval/4 from now; else the time set stays. With nothing stored yet to follow (the leader's
// first read is under way, or it died before publishing) the feed reads
// Cloudflare once itself and publishes nothing.
func (r *Refresher) follow(ctx context.Context, f *feed, fresh bool) {
	r.mu.Lock()
	now := r.now()
	none := f.snap == nil
	if f.fl.registered == nil {
		f.fl.registered = map[string]time.Time{}
	}
	until := now.Add(r.idle)
	var jobs []string
	for j, u := range f.fl.registered {
		if _, ok := f.jobs[j]; !ok || !now.Before(u) {
			delete(f.fl.registered, j)
		}
	}
	for j, at := range f.jobs {
		if now.Sub(at) >= r.idle {
			delete(f.jobs, j)
			delete(f.misses, j)
			continue
		}
		if u, ok := f.fl.registered[j]; !ok || u.Sub(now) < r.idle/2 {
			jobs = append(jobs, j)
		}
	}
	soon := now.Add(r.interval / 4)
	switch snap := f.snap; {
	case fresh && snap.next.After(soon):
		f.fl.nextLoad = snap.next.Add(r.interval / 20)
		if limit := now.Add(r.interval); f.fl.nextLoad.After(limit) {
			f.fl.nextLoad = limit
		}
	case fresh || !f.fl.nextLoad.After(now):
		f.fl.nextLoad = soon // the leader is late, or said nothing: look again in a while
	}
	r.mu.Unlock()
	if len(jobs) > 0 {
		c, cancel := r.fleetCtx(ctx)
		err := r.fleet.Watch(c, f.key, f.account, jobs, until)
		cancel()
		if err != nil {
			r.fleetFailed(err)
		} else {
			r.mu.Lock()
			for _, j := range jobs {
				f.fl.registered[j] = until
			}
			r.mu.Unlock()
		}
	}
	if none {
		r.refresh(ctx, f, nil, false)
	}
}

// prune deletes the Fleet's ended rows, once a minute per replica.
func (r *Refresher) prune(ctx context.Context) {
	r.mu.Lock()
	now := r.now()
	due := now.Sub(r.lastPrune) >= pruneEvery
	if due {
		r.lastPrune = now
	}
	r.mu.Unlock()
	if !due {
		return
	}
	c, cancel := r.fleetCtx(ctx)
	defer cancel()
	if err := r.fleet.Prune(c, now, now.Add(-keepIdleFeed)); err != nil {
		r.fleetFailed(err)
	}
}

// drop stops a feed whose credential was forgotten on another replica,
// and hands back the lease it may just have taken.
func (r *Refresher) drop(f *feed, leading bool) {
	r.mu.Lock()
	id := feedID{f.key, f.account}
	if r.feeds[id] == f {
		delete(r.feeds, id)
	}
	f.cancel()
	r.mu.Unlock()
	if leading {
		r.release(f)
	}
}
