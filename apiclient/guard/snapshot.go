package guard

import (
	"encoding/json"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// Snapshot is one read of an account, immutable once published.
type Snapshot struct {
	At      time.Time // when Cloudflare's answer arrived
	Version uint64    // grows whenever a job changed
	Page    []string  // job IDs of the first page, newest first
	Full    bool      // the page held every job of the account
	Jobs    map[string]Entry
	// Err is why the latest read failed (the data is from At), nil when the
	// latest read succeeded.
	Err error
}

// Entry is one job in a snapshot and the snapshot version it last changed in.
type Entry struct {
	Job     *apiclient.Job
	Version uint64
}

// Job returns the job with id, if the snapshot holds it.
func (s *Snapshot) Job(id string) (*apiclient.Job, uint64, bool) {
	if s == nil {
		return nil, 0, false
	}
	e, ok := s.Jobs[id]
	return e.Job, e.Version, ok
}

// failed is s with the reason its latest read failed; with nothing read yet
// it is an empty snapshot holding only the reason.
func (s *Snapshot) failed(err error, at time.Time) *Snapshot {
	if s == nil {
		return &Snapshot{At: at, Err: err, Jobs: map[string]Entry{}}
	}
	n := *s
	n.Err = err
	return &n
}

// builder makes the snapshot after prev. A job that changed (or is new)
// gets the new version; the version only grows when something changed.
type builder struct {
	prev, next *Snapshot
	changed    bool
}

func newBuilder(prev *Snapshot, at time.Time) *builder {
	next := &Snapshot{At: at, Version: 1, Jobs: map[string]Entry{}}
	if prev != nil {
		next.Version = prev.Version + 1
	}
	return &builder{prev: prev, next: next}
}

// put adds job, keeping its old version when it did not change.
func (b *builder) put(job *apiclient.Job) {
	if old, _, ok := b.prev.Job(job.ID); ok && sameJob(old, job) {
		b.next.Jobs[job.ID] = b.prev.Jobs[job.ID]
		return
	}
	b.changed = true
	b.next.Jobs[job.ID] = Entry{Job: job, Version: b.next.Version}
}

// done returns the snapshot; when nothing changed it keeps prev's version.
func (b *builder) done() *Snapshot {
	if b.prev != nil && !b.changed && equalIDs(b.prev.Page, b.next.Page) && len(b.prev.Jobs) == len(b.next.Jobs) {
		b.next.Version = b.prev.Version
	}
	return b.next
}

// sameJob reports whether two answers for a job show the same thing.
func sameJob(a, b *apiclient.Job) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

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
