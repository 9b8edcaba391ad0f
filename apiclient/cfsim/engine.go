package cfsim

import (
	"math/rand/v2"
	"time"
)

// Plan says how a job progresses from its current state. Zero fields take the
// defaults noted on each field; see SeedJob for the defaults of a missing Plan.
//
// The engine is a simulator choice (contract section 5 and Q10): PENDING for
// PendingSteps steps, then DISCOVERING (Total rows found, DiscoverPerStep per
// step), then PROCESSING (ProcessPerStep rows actioned per step), then
// COMPLETED, or FAILED when Outcome is FAILED, or SKIPPED when discovery found
// no row that can be actioned.
type Plan struct {
	// Total is the number of rows discovery finds in all, skipped rows
	// included. Zero makes the job SKIPPED ("No messages matched the search").
	Total int
	// PendingSteps is how many engine steps the job stays PENDING after the
	// first one (0: it starts discovering at its first step).
	PendingSteps int
	// DiscoverPerStep is how many rows one DISCOVERING step finds (default 100).
	DiscoverPerStep int
	// ProcessPerStep is how many rows one PROCESSING step attempts (default 50).
	ProcessPerStep int
	// FailureRate is the chance in [0,1] that an attempt fails for good: the
	// row becomes FAILED with retry_count 3 and a reason in status_message.
	FailureRate float64
	// RetryRate is the chance in [0,1] that an attempt hits a transient error:
	// the row stays PENDING with retry_count+1 (at most 2) and a retry_after
	// three steps later.
	RetryRate float64
	// SkipRate is the chance in [0,1] that a discovered row is a phish
	// submission, which a job cannot action: the row is SKIPPED at discovery.
	SkipRate float64
	// Outcome is StatusCompleted (default) or StatusFailed.
	Outcome string
	// FailAfter applies when Outcome is StatusFailed: the job fails once this
	// many rows were processed (successful plus failed). Rows still pending
	// then become CANCELLED, which the newest SDK documents as "rows whose
	// in-flight attempt ended when the job reached a terminal state".
	FailAfter int
}

// job is the engine's record of one bulk job. All fields are guarded by
// Server.mu.
type job struct {
	id, account         string
	action              string
	destination         string
	expectedDisposition string
	comment             *string
	search              SearchParams
	status              string
	statusMessage       *string
	createdAt           time.Time
	startedAt           *time.Time
	completedAt         *time.Time

	// Counters; total == pending+successful+failed+skipped+cancelled always
	// holds (Q8), in both shapes.
	total, pending, successful, failed, skipped, cancelled int

	plan       Plan
	rng        *rand.Rand
	rows       []*row // sorted by created_at then message_id (E6 order)
	queue      []int  // indexes into rows of PENDING rows, oldest first
	nextStep   time.Time
	stateSteps int
	step       time.Duration
}

// row is one per-message record (contract section 6).
type row struct {
	id, postfixID, recipient string
	emailMessageID, alertID  string
	status                   string
	statusMessage            string
	retryCount               int
	createdAt                time.Time
	processedAt, retryAfter  *time.Time
}

// advanceTo runs every engine step of j due at or before now. Steps fall on
// fixed instants (nextStep, nextStep+step, ...), and each job draws from its
// own seeded generator, so the result depends only on the seed, the job and
// the clock: not on how often or in which order requests arrive.
func (j *job) advanceTo(now time.Time) {
	for !isTerminal(j.status) && !j.nextStep.After(now) {
		j.runStep(msTime(j.nextStep))
		j.nextStep = j.nextStep.Add(j.step)
	}
}

// runStep performs one engine step at instant t.
func (j *job) runStep(t time.Time) {
	j.stateSteps++
	switch j.status {
	case StatusPending:
		if j.stateSteps > j.plan.PendingSteps {
			j.status = StatusDiscovering
			j.startedAt = &t // Q9: started_at is set on leaving PENDING
			j.stateSteps = 0
		}
	case StatusDiscovering:
		j.discover(t)
	case StatusProcessing:
		j.process(t)
	}
}

// discover adds up to DiscoverPerStep new rows, then moves the job on once
// discovery has found plan.Total rows.
func (j *job) discover(t time.Time) {
	n := min(j.plan.DiscoverPerStep, j.plan.Total-j.total)
	batch := make([]*row, 0, n)
	for range n {
		r := j.newRow(t)
		if j.rng.Float64() < j.plan.SkipRate {
			r.status = StatusSkipped
			r.statusMessage = "Phish submission: bulk actions do not apply"
		}
		batch = append(batch, r)
	}
	j.appendRows(batch)
	if j.total < j.plan.Total {
		return
	}
	if j.pending == 0 {
		// Q10: SKIPPED when discovery found nothing a job can action.
		msg := "No messages matched the search"
		if j.skipped > 0 {
			msg = "All matched messages were phish submissions, which cannot be actioned"
		}
		j.finish(StatusSkipped, msg, t)
		return
	}
	j.status = StatusProcessing
	j.stateSteps = 0
}

// appendRows sorts a batch (same created_at) by message_id, appends it and
// updates the counters.
func (j *job) appendRows(batch []*row) {
	sortRows(batch)
	for _, r := range batch {
		j.rows = append(j.rows, r)
		j.total++
		switch r.status {
		case StatusSkipped:
			j.skipped++
		default:
			j.pending++
			j.queue = append(j.queue, len(j.rows)-1)
		}
	}
}

// failureReasons are the status_message texts of permanently failed rows.
var failureReasons = []string{
	"Mailbox not found",
	"Message no longer exists in the mailbox",
	"Recipient mailbox is inactive",
	"Access denied by the mail provider",
}

// process attempts up to ProcessPerStep pending rows whose retry time has come.
func (j *job) process(t time.Time) {
	budget := j.plan.ProcessPerStep
	kept := j.queue[:0]
	for _, idx := range j.queue {
		r := j.rows[idx]
		if budget == 0 || (r.retryAfter != nil && r.retryAfter.After(t)) {
			kept = append(kept, idx)
			continue
		}
		budget--
		p := j.rng.Float64()
		switch {
		case p < j.plan.FailureRate:
			r.status = StatusFailed
			r.retryCount = 3
			r.statusMessage = failureReasons[j.rng.IntN(len(failureReasons))]
			r.processedAt, r.retryAfter = &t, nil
			j.pending--
			j.failed++
		case p < j.plan.FailureRate+j.plan.RetryRate && r.retryCount < 2:
			r.retryCount++
			at := t.Add(3 * j.step)
			r.retryAfter = &at
			r.statusMessage = "Transient error from the mail provider, will retry"
			kept = append(kept, idx)
		default:
			r.status = StatusCompleted
			r.statusMessage = ""
			r.processedAt, r.retryAfter = &t, nil
			j.pending--
			j.successful++
		}
	}
	j.queue = kept
	switch {
	case j.plan.Outcome == StatusFailed && j.successful+j.failed >= j.plan.FailAfter:
		j.endPending("Not processed: the job failed")
		j.finish(StatusFailed, "Job failed: Microsoft Graph returned 401 (tenant consent revoked)", t)
	case j.pending == 0:
		j.finish(StatusCompleted, "", t)
	}
}

// endPending turns every PENDING row into a CANCELLED one (Q8), keeping the
// counters in step.
func (j *job) endPending(msg string) {
	for _, idx := range j.queue {
		r := j.rows[idx]
		r.status = StatusCancelled
		r.statusMessage = msg
		r.retryAfter = nil
	}
	j.cancelled += j.pending
	j.pending = 0
	j.queue = nil
}

// finish puts the job in a terminal state at t (Q9: completed_at is set on
// reaching any terminal state).
func (j *job) finish(status, msg string, t time.Time) {
	j.status = status
	j.statusMessage = optString(msg)
	j.completedAt = &t
	j.stateSteps = 0
}

// cancel applies E5 to a job that is not terminal (Q1, Q8, Q9): the pending
// rows become CANCELLED and no further step runs, which also stops discovery.
// A PENDING job leaves PENDING here, so Q9 gives it started_at too (equal to
// completed_at): started_at is null exactly while a job is PENDING.
func (j *job) cancel(now time.Time) {
	t := msTime(now)
	if j.startedAt == nil {
		j.startedAt = &t
	}
	j.endPending("Cancelled by request")
	j.finish(StatusCancelled, "Cancelled by request", t)
}
