package guard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// Fleet is where the replicas of a dashboard behind one load balancer
// share their feeds, so that N replicas cost Cloudflare what one does: one
// replica holds the lease of a feed and reads Cloudflare for it; the others
// load the snapshot it publishes and tell it which jobs their tabs watch.
// It speaks in bytes and plain values, so that a store can implement it
// without importing this package (store.PostgresFeeds does, on
// PostgreSQL). A feed is named by the credential's Key (a hash, never the
// secret) and the account. Times are the callers' clocks: the replicas'
// clocks must agree (NTP) to well within an interval.
type Fleet interface {
	// Lead takes the feed's lease for holder until until, or renews it,
	// unless another holder's lease runs at now. It reports whether holder
	// leads, and the sequence of the stored snapshot (0: none).
	Lead(ctx context.Context, cred, account, holder string, now, until time.Time) (leader bool, seq uint64, err error)
	// Release ends holder's lease of the feed, if it holds it.
	Release(ctx context.Context, cred, account, holder string) error
	// Load returns the stored snapshot's sequence (0: none), and its data
	// when the sequence is above after (else nil).
	Load(ctx context.Context, cred, account string, after uint64) (seq uint64, data []byte, err error)
	// Publish stores data as the feed's snapshot when the stored sequence
	// is still base (0: none is stored), under a new sequence above every
	// one before, and tells every listener. ok is false, and nothing is
	// written, when another write came first.
	Publish(ctx context.Context, cred, account string, base uint64, data []byte, now time.Time) (seq uint64, ok bool, err error)
	// Watch records that tabs on this replica watch jobs of the feed until
	// until; Watched returns the jobs whose records run at now.
	Watch(ctx context.Context, cred, account string, jobs []string, until time.Time) error
	Watched(ctx context.Context, cred, account string, now time.Time) ([]string, error)
	// Forget deletes every row of the credential and tells every listener
	// (with sequence 0 for each of its feeds).
	Forget(ctx context.Context, cred string) error
	// Prune deletes the leases and watches that ended before now, and the
	// snapshots not written since idleBefore.
	Prune(ctx context.Context, now, idleBefore time.Time) error
	// Listen calls ready once it listens, then changed for every snapshot
	// published (or, with sequence 0, forgotten) by any replica, until ctx
	// ends or the connection fails; it returns why.
	Listen(ctx context.Context, ready func(), changed func(cred, account string, seq uint64)) error
}

// ErrNoFreshSnapshot marks a follower's snapshot when the leader has
// published nothing newer for two intervals (it stopped, or its read is
// slow): the data is shown as of its time until another replica takes the
// lease over, within the lease's length.
var ErrNoFreshSnapshot = errors.New("no newer answer has come from the replica that reads Cloudflare for this account")

// role is a feed's place in the Fleet.
type role int

const (
	roleNone     role = iota // not yet known: the first cycle decides
	roleSolo                 // the Fleet did not answer: the feed reads Cloudflare itself, as without one
	roleLeader               // holds the lease: reads Cloudflare and publishes
	roleFollower             // loads what the leader publishes
)

// String names the role for the metrics.
func (r role) String() string {
	switch r {
	case roleLeader:
		return "leader"
	case roleFollower:
		return "follower"
	}
	return "solo"
}

// feedFleet is a feed's state in the Fleet, guarded by the Refresher's
// mutex.
type feedFleet struct {
	role       role
	seq        uint64               // the stored sequence that snap is (or was built on); 0: none
	stale      bool                 // a newer snapshot was published: load it before answering
	nextLead   time.Time            // a follower tries to take the lease then
	nextLoad   time.Time            // a follower loads then
	loaded     time.Time            // the latest load
	registered map[string]time.Time // jobs recorded with Fleet.Watch → until when
}

// fleetState is the Refresher's own state in the Fleet.
type fleetState struct {
	down      atomic.Bool // the latest call to the Fleet failed
	lastPrune time.Time   // guarded by mu
}

// Fleet tuning. A lease lasts three intervals, or a read's whole timeout
// and half an interval when that is longer, so that a slow read never loses
// its lease midway and a second replica never reads beside it; a follower
// tries to take it once an interval, so after a leader dies another reads
// within the lease's length and an interval. A follower loads when the
// leader said it would publish, plus a little (loadSlack), and when it is
// told of a new snapshot; it loads at most once per interval/4 otherwise.
const (
	pruneEvery   = time.Minute
	keepIdleFeed = 10 * time.Minute // a snapshot no one wrote for this long is deleted
	maxTimeout   = 2 * time.Second  // bounds one call to the Fleet
)

// startFleet sets the Fleet up from the options.
func (r *Refresher) startFleet(o RefresherOptions) {
	r.log = o.Log
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if o.Fleet == nil {
		return
	}
	r.fleet, r.holder = o.Fleet, o.Holder
	if r.holder == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		r.holder = hex.EncodeToString(b)
	}
	r.lease = max(3*r.interval, r.timeout+r.interval/2)
	go r.listen()
}

// fleetCtx bounds one call to the Fleet: a database that does not answer
// must not hold a tab for long.
func (r *Refresher) fleetCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, min(r.interval/2, maxTimeout))
}

// fleetFailed notes that the Fleet did not answer. Until it does again
// every feed of this replica reads Cloudflare itself (roleSolo): that costs
// Cloudflare a read per replica rather than one, which the budget shared
// by the fleet bounds, but no analyst waits for the database. The log line
// says only that it failed and the database driver's error, which carries
// no password; never a credential or its Key.
func (r *Refresher) fleetFailed(err error) {
	if r.down.CompareAndSwap(false, true) {
		r.log.Warn("refresher: the shared database did not answer; feeds read Cloudflare themselves until it does", "err", err.Error())
	}
}

// fleetOK notes that the Fleet answered.
func (r *Refresher) fleetOK() {
	if r.down.CompareAndSwap(true, false) {
		r.log.Info("refresher: the shared database answers again; feeds are shared")
	}
}

// fleetDue reports whether a feed with a Fleet has work to do: the leader
// (or a feed on its own) reads when its snapshot is an interval old, a
// follower loads when due or tries the lease, and either loads a snapshot
// it was told is newer. A feed on its own because the Fleet failed waits
// for its next read to try the Fleet again, told or not: no spinning on a
// database that refuses at once. r.mu is held.
func (r *Refresher) fleetDue(f *feed, now time.Time) bool {
	if f.fl.stale && f.fl.role != roleSolo {
		return true
	}
	if f.fl.role == roleFollower {
		return !now.Before(f.fl.nextLoad) || !now.Before(f.fl.nextLead)
	}
	return now.Sub(f.snap.Tried) >= r.interval
}

// served is the snapshot a Watch returns: on a follower whose leader has
// published nothing for two intervals, marked as older (it is no error:
// another replica takes over). r.mu is held.
func (r *Refresher) served(f *feed) *Snapshot {
	s := f.snap
	if r.fleet != nil && f.fl.role == roleFollower && s != nil && s.Err == nil && r.now().Sub(s.Tried) >= 2*r.interval {
		return s.failed(ErrNoFreshSnapshot, s.Tried)
	}
	return s
}

// release hands the lease of a feed this replica leads to the others.
func (r *Refresher) release(f *feed) {
	ctx, cancel := r.fleetCtx(context.Background())
	defer cancel()
	if err := r.fleet.Release(ctx, f.key, f.account, r.holder); err != nil {
		r.fleetFailed(err)
	}
}

// listen keeps Fleet.Listen running until the Refresher closes. While it
// does not run, followers still load when the leader said it would
// publish; they only learn of cancels and of forgotten credentials later.
func (r *Refresher) listen() {
	for r.ctx.Err() == nil {
		err := r.fleet.Listen(r.ctx, r.caughtUp, r.changed)
		if r.ctx.Err() != nil {
			return
		}
		if err != nil {
			r.fleetFailed(err)
		}
		t := time.NewTimer(time.Second) // real time: a database coming back is no test's business
		select {
		case <-r.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// caughtUp: Listen listens; whatever was published while it did not is
// loaded on the next watch of each feed.
func (r *Refresher) caughtUp() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.feeds {
		f.fl.stale = true
	}
}

// changed: a replica published the feed's snapshot under seq, or forgot
// its credential (seq 0), which stops the feed here too.
func (r *Refresher) changed(cred, account string, seq uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := feedID{cred, account}
	f := r.feeds[id]
	switch {
	case f == nil:
	case seq == 0:
		delete(r.feeds, id)
		f.cancel()
	case seq > f.fl.seq:
		f.fl.stale = true
	}
}
