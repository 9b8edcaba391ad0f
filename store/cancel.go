package store

import (
	"errors"
	"time"
)

// Outcomes of a job cancel's audit row that the store itself writes or
// looks for. The handlers write the others (ok, already_finished, …).
const (
	// CancelPending marks the write-ahead row of a cancel whose answer from
	// Cloudflare has not been recorded yet. While it is pending (and younger
	// than its lease) it is also the job's claim: no other cancel of the
	// same job starts, on any process that shares the database.
	CancelPending = "pending"
	// CancelUnknown closes a pending row whose process stopped before it
	// recorded Cloudflare's answer, and that could not be read back.
	CancelUnknown = "unknown"
)

// ErrCancelInFlight means another cancel of the same job is under way;
// BeginCancel returns its row with it.
var ErrCancelInFlight = errors.New("a cancel of this job is already under way")

// PendingTooLong reports whether e is a pending cancel row older than lease
// at now: its process most likely stopped before it recorded the answer, so
// its outcome is unknown until someone reads the job.
func (e AuditEvent) PendingTooLong(now time.Time, lease time.Duration) bool {
	return e.Action == ActionJobCancel && e.Outcome == CancelPending && now.Sub(e.At) >= lease
}
