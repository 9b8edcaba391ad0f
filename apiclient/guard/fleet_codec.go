package guard

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// The shared snapshot is JSON: what the Snapshot holds, the jobs in
// Cloudflare's own shape, every error as wireErr (see fleet_errors.go).
// Nothing in it is secret: jobs and redacted errors, no credential.

// wireFormat is the format's version; a replica refuses another one (a
// newer release must keep reading this one while both run).
const wireFormat = 1

type wireSnapshot struct {
	Format   int                  `json:"format"`
	At       time.Time            `json:"at"`
	Tried    time.Time            `json:"tried"`
	Next     time.Time            `json:"next"`
	Version  uint64               `json:"version"`
	Listed   bool                 `json:"listed"`
	Page     []string             `json:"page"`
	Full     bool                 `json:"full"`
	Returned int                  `json:"returned"`
	Err      wireErr              `json:"err,omitempty"`
	Jobs     map[string]wireEntry `json:"jobs"`
}

type wireEntry struct {
	Job     *apiclient.Job `json:"job"`
	Version uint64         `json:"version"`
	At      time.Time      `json:"at"`
	Tried   time.Time      `json:"tried"`
	Err     wireErr        `json:"err,omitempty"`
}

// encodeSnapshot is s as the Fleet stores it.
func encodeSnapshot(s *Snapshot) ([]byte, error) {
	w := wireSnapshot{Format: wireFormat, At: s.At, Tried: s.Tried, Next: s.next, Version: s.Version, Listed: s.Listed,
		Page: s.Page, Full: s.Full, Returned: s.Returned, Err: encodeErr(s.Err), Jobs: make(map[string]wireEntry, len(s.Jobs))}
	for id, e := range s.Jobs {
		w.Jobs[id] = wireEntry{Job: e.Job, Version: e.Version, At: e.At, Tried: e.Tried, Err: encodeErr(e.Err)}
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("guard: encode a snapshot: %w", err)
	}
	return b, nil
}

// decodeSnapshot reads a stored snapshot; its jobs are shared through pool
// with the other feeds that hold equal ones.
func decodeSnapshot(data []byte, pool *jobPool) (*Snapshot, error) {
	var w wireSnapshot
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("guard: decode a shared snapshot: %w", err)
	}
	if w.Format != wireFormat {
		return nil, fmt.Errorf("guard: a shared snapshot has format %d, this release reads %d", w.Format, wireFormat)
	}
	s := &Snapshot{At: w.At, Tried: w.Tried, next: w.Next, Version: w.Version, Listed: w.Listed, Page: w.Page,
		Full: w.Full, Returned: w.Returned, Err: w.Err.decode(), Jobs: make(map[string]Entry, len(w.Jobs))}
	for id, e := range w.Jobs {
		if e.Job == nil || e.Job.ID != id {
			return nil, fmt.Errorf("guard: a shared snapshot holds a job under another ID")
		}
		s.Jobs[id] = Entry{Job: pool.share(e.Job), Version: e.Version, At: e.At, Tried: e.Tried, Err: e.Err.decode()}
	}
	return s, nil
}
