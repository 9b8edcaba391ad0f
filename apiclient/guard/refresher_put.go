package guard

import (
	"context"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// Known returns the job as cred's snapshot of account last had it, of any
// age, and when that answer arrived, without calling Cloudflare.
func (r *Refresher) Known(cred apiclient.Credential, account, jobID string) (*apiclient.Job, time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.feeds[feedID{Key(cred), account}]
	if f == nil {
		return nil, time.Time{}, false
	}
	e, ok := f.snap.Entry(jobID)
	return e.Job, e.At, ok
}

// Put records Cloudflare's answer to a cancel in cred's snapshot of
// account, so the next poll shows it rather than an older read, and
// returns the job's version there (0 when no feed watches the account).
// A read already under way when the answer came does not undo it.
//
// With a Fleet the answer goes into the shared snapshot as well, even when
// no feed of this replica watches the account (the tab's polls may come
// here and go elsewhere), so that the next poll on any replica shows it;
// the version returned is the shared one. When the Fleet does not answer
// it is kept here only, as without one.
func (r *Refresher) Put(cred apiclient.Credential, account string, job *apiclient.Job) uint64 {
	if job == nil {
		return 0
	}
	id := feedID{Key(cred), account}
	r.mu.Lock()
	f := r.feeds[id]
	now := r.now()
	if f != nil {
		f.puts++
		f.pins[job.ID] = pin{job: job, at: now, seq: f.puts}
		delete(f.misses, job.ID)
	}
	// A feed's first read under way takes the pin into its snapshot, and
	// publishes it when it leads.
	shared := r.fleet != nil && (f == nil || f.snap != nil)
	r.mu.Unlock()
	if shared {
		ctx, cancel := r.fleetCtx(r.ctx)
		s, ok := r.share(ctx, id.cred, account, f, func(b *builder) { b.put(job, now, now, nil) })
		cancel()
		if ok {
			return s.Jobs[job.ID].Version
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f == nil || f.snap == nil {
		return 0 // the first read is under way; the pin goes into its snapshot
	}
	b := newBuilder(f.snap, r.nextVersion())
	b.pool = &r.pool
	b.copyJobs()
	b.put(job, now, now, nil)
	f.snap = b.done()
	return f.snap.Jobs[job.ID].Version
}

// Forget stops every feed of cred at once, with the reads under way (its
// credential was deleted or its owner's access revoked). With a Fleet the
// shared rows of cred go too, and the other replicas' feeds of it stop
// when they learn of it.
func (r *Refresher) Forget(cred apiclient.Credential) {
	ck := Key(cred)
	r.mu.Lock()
	for id, f := range r.feeds {
		if id.cred == ck {
			delete(r.feeds, id)
			f.cancel()
		}
	}
	r.mu.Unlock()
	if r.fleet != nil {
		ctx, cancel := r.fleetCtx(r.ctx)
		defer cancel()
		if err := r.fleet.Forget(ctx, ck); err != nil {
			r.fleetFailed(err)
		}
	}
}

// Close stops every feed and the reads under way, and hands the feeds this
// replica leads to the others at once.
func (r *Refresher) Close() {
	r.mu.Lock()
	var leading []*feed
	for _, f := range r.feeds {
		if f.fl.role == roleLeader {
			leading = append(leading, f)
		}
	}
	r.mu.Unlock()
	r.cancel()
	if len(leading) == 0 {
		return
	}
	// One deadline for them all: a database that does not answer must not
	// hold the shutdown for long; the leases then run out by themselves.
	ctx, cancel := r.fleetCtx(context.Background())
	defer cancel()
	for _, f := range leading {
		if err := r.fleet.Release(ctx, f.key, f.account, r.holder); err != nil {
			r.fleetFailed(err)
			return
		}
	}
}
