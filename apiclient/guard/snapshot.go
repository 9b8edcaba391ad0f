package guard

import (
	"reflect"
	"sync"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// Snapshot is what a feed knows of an account, immutable once published.
type Snapshot struct {
	At    time.Time // when the page's data arrived from Cloudflare
	Tried time.Time // when the latest read of the page was made (At when it succeeded)
	// Version grows whenever a job changed (or appeared), never otherwise.
	// Versions come from one clock for the whole Refresher and grow across
	// feeds, so a tab that polls a restarted feed never sees them go back.
	Version  uint64
	Listed   bool     // the page was read at least once; false: Page says nothing
	Page     []string // job IDs of the first page, in Cloudflare's order (newest first)
	Full     bool     // the page held every job of the account
	Returned int      // rows Cloudflare sent for the page: more than Page when it ignored per_page
	Jobs     map[string]Entry
	// Err is why the latest read of the page failed (its data is from At),
	// nil when it succeeded.
	Err error

	// next is when the replica that leads the feed in a fleet expects to
	// publish the snapshot after this one (zero without a fleet): followers
	// load then, rather than on a timer of their own.
	next time.Time
}

// Entry is one job in a snapshot.
type Entry struct {
	Job     *apiclient.Job
	Version uint64    // the snapshot version in which the job last changed
	At      time.Time // when this answer for the job arrived
	Tried   time.Time // when the latest read covering the job was made
	Err     error     // why that read failed (the job is as of At), nil when it succeeded
}

// Job returns the job with id, if the snapshot holds it.
func (s *Snapshot) Job(id string) (*apiclient.Job, uint64, bool) {
	e, ok := s.Entry(id)
	return e.Job, e.Version, ok
}

// Entry returns the job with id and how fresh it is, if the snapshot holds it.
func (s *Snapshot) Entry(id string) (Entry, bool) {
	if s == nil {
		return Entry{}, false
	}
	e, ok := s.Jobs[id]
	return e, ok
}

// version is the snapshot's version, 0 for none.
func (s *Snapshot) version() uint64 {
	if s == nil {
		return 0
	}
	return s.Version
}

// failed is s after a read at tried that failed with err: the same data,
// marked with the reason; with nothing read yet it is an empty snapshot
// holding only the reason.
func (s *Snapshot) failed(err error, tried time.Time) *Snapshot {
	if s == nil {
		return &Snapshot{At: tried, Tried: tried, Err: err, Jobs: map[string]Entry{}}
	}
	n := *s
	n.Err, n.Tried = err, tried
	n.Jobs = make(map[string]Entry, len(s.Jobs))
	for id, e := range s.Jobs {
		e.Err, e.Tried = err, tried
		n.Jobs[id] = e
	}
	return &n
}

// builder makes the snapshot after prev. A job that changed (or is new)
// gets the new version; the version only grows when something changed.
type builder struct {
	prev, next *Snapshot
	version    uint64 // the version a change gets
	changed    bool
	pool       *jobPool // shares equal jobs between feeds; nil shares nothing
}

// newBuilder starts the snapshot after prev; a change is given version.
// The page and its state are copied from prev, the jobs are not.
func newBuilder(prev *Snapshot, version uint64) *builder {
	next := &Snapshot{Jobs: map[string]Entry{}}
	if prev != nil {
		n := *prev
		n.Jobs = make(map[string]Entry, len(prev.Jobs))
		next = &n
	}
	return &builder{prev: prev, next: next, version: version}
}

// put adds job as answered at at (err: the answer is an older one, served
// because the read failed), keeping its version when it did not change.
func (b *builder) put(job *apiclient.Job, at, tried time.Time, err error) {
	e := Entry{Job: job, Version: b.version, At: at, Tried: tried, Err: err}
	if old, ok := b.prev.Entry(job.ID); ok && sameJob(old.Job, job) {
		e.Job, e.Version = old.Job, old.Version
	} else {
		// A copy: job may point into the slice a list read was decoded
		// into, and keeping it would keep that whole page of jobs alive
		// for as long as the snapshot holds this one (a feed per analyst
		// held a page each: 14 MB at 500 analysts).
		cp := *job
		e.Job = b.pool.share(&cp)
		b.changed = true
	}
	b.next.Jobs[job.ID] = e
}

// keep carries an entry of prev over unchanged, marked with err when the
// read that should have renewed it failed.
func (b *builder) keep(e Entry, tried time.Time, err error) {
	if err != nil {
		e.Err, e.Tried = err, tried
	}
	b.next.Jobs[e.Job.ID] = e
}

// copyJobs carries every entry of prev over.
func (b *builder) copyJobs() {
	if b.prev != nil {
		for id, e := range b.prev.Jobs {
			b.next.Jobs[id] = e
		}
	}
}

// done returns the snapshot: with the new version when something changed,
// else with prev's.
func (b *builder) done() *Snapshot {
	b.next.Version = b.version
	if b.prev != nil && !b.changed && equalIDs(b.prev.Page, b.next.Page) && len(b.prev.Jobs) == len(b.next.Jobs) {
		b.next.Version = b.prev.Version
	}
	return b.next
}

// sameJob reports whether two answers for a job show the same thing: by
// value, pointers followed (a Job holds nothing else). It runs for every job
// of every read, so it does not encode them.
func sameJob(a, b *apiclient.Job) bool { return reflect.DeepEqual(a, b) }

func equalIDs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// maxPooledJobs bounds a jobPool; when full it starts over.
const maxPooledJobs = 50_000

// jobPool keeps one copy of each job that several feeds read the same: 500
// analysts with their own tokens watching one account would otherwise hold
// 500 copies of the same 100 jobs. Only equal values are shared, so a feed
// still holds exactly what its own credential's read returned.
type jobPool struct {
	mu   sync.Mutex
	jobs map[string]*apiclient.Job
}

// share returns the pooled job equal to job, or pools job.
func (p *jobPool) share(job *apiclient.Job) *apiclient.Job {
	if p == nil {
		return job
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur, ok := p.jobs[job.ID]; ok && sameJob(cur, job) {
		return cur
	}
	if p.jobs == nil || len(p.jobs) >= maxPooledJobs {
		p.jobs = map[string]*apiclient.Job{}
	}
	p.jobs[job.ID] = job
	return job
}
