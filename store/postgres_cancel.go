package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// pgClaimConflict names the partial unique index audit_cancel_in_flight
// (migration 0002) by its columns and predicate, as ON CONFLICT needs; the
// literals are ActionJobCancel and CancelPending.
const pgClaimConflict = ` ON CONFLICT (account_id, job_id)
	WHERE action = '` + ActionJobCancel + `' AND outcome = '` + CancelPending + `' DO NOTHING`

// beginCancelTries bounds how often BeginCancel starts over when the cancel
// that blocked it finished before its row could be read back.
const beginCancelTries = 5

// BeginCancel writes e (action job_cancel) as a pending row and claims the
// job with it, for every replica sharing the database. A pending row of the
// same job older than lease belongs to a process that stopped mid-cancel: it
// is closed as CancelUnknown first, so a crash never blocks the stop
// button. A younger one is returned with ErrCancelInFlight and nothing is
// written. The claim is the partial unique index audit_cancel_in_flight:
// INSERT … ON CONFLICT DO NOTHING waits for a concurrent claim to commit or
// roll back, so of two replicas exactly one inserts.
func (p *Postgres) BeginCancel(ctx context.Context, e AuditEvent, lease time.Duration) (AuditEvent, error) {
	e.Action, e.Outcome = ActionJobCancel, CancelPending
	e, err := e.normalize()
	if err != nil {
		return AuditEvent{}, fmt.Errorf("begin cancel: %w", err)
	}
	for range beginCancelTries {
		got, err := p.beginCancel(ctx, e, lease)
		if !errors.Is(err, errClaimVanished) {
			return got, err
		}
	}
	return AuditEvent{}, fmt.Errorf("begin cancel: %w", errClaimVanished)
}

// errClaimVanished means the row that blocked the insert was finished
// before it could be read: try again.
var errClaimVanished = errors.New("the cancel in flight finished while this one started; try again")

// beginCancel is one attempt of BeginCancel, in one transaction.
func (p *Postgres) beginCancel(ctx context.Context, e AuditEvent, lease time.Duration) (AuditEvent, error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return AuditEvent{}, fmt.Errorf("begin cancel: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `UPDATE audit_events SET outcome = $1, detail = $2
		WHERE action = $3 AND outcome = $4 AND account_id = $5 AND job_id = $6 AND at <= $7`,
		CancelUnknown, abandonedDetail, ActionJobCancel, CancelPending, e.AccountID, e.JobID,
		pgTime(e.At.Add(-lease))); err != nil {
		return AuditEvent{}, fmt.Errorf("begin cancel: close abandoned rows: %w", err)
	}
	err = tx.QueryRow(ctx, pgAuditInsert+pgClaimConflict+` RETURNING id`, pgAuditArgs(e)...).Scan(&e.ID)
	if pgNoRows(err) {
		// Read committed: this statement sees the claim that blocked the
		// insert, unless it was finished in between.
		other, qerr := scanPgAudit(tx.QueryRow(ctx, pgAuditSelect+` WHERE action = $1 AND outcome = $2
			AND account_id = $3 AND job_id = $4`, ActionJobCancel, CancelPending, e.AccountID, e.JobID))
		if pgNoRows(qerr) {
			return AuditEvent{}, errClaimVanished
		}
		if qerr != nil {
			return AuditEvent{}, fmt.Errorf("begin cancel: read the cancel in flight: %w", qerr)
		}
		if err := tx.Commit(ctx); err != nil {
			return AuditEvent{}, fmt.Errorf("begin cancel: %w", err)
		}
		return other, ErrCancelInFlight
	}
	if err != nil {
		return AuditEvent{}, fmt.Errorf("begin cancel: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return AuditEvent{}, fmt.Errorf("begin cancel: %w", err)
	}
	return e, nil
}

// FinishCancel records the outcome of the pending cancel row id. A row that
// is no longer pending (a later cancel closed it as abandoned) gets the
// outcome all the same: the answer arrived after all.
func (p *Postgres) FinishCancel(ctx context.Context, id int64, outcome, detail string) error {
	if outcome == "" || outcome == CancelPending {
		return fmt.Errorf("finish cancel %d: %w", id, invalid("a finished cancel needs an outcome"))
	}
	tag, err := p.pool.Exec(ctx, `UPDATE audit_events SET outcome = $1, detail = $2 WHERE id = $3 AND action = $4`,
		truncate(cleanText(outcome), maxAuditField), truncate(cleanText(detail), maxAuditField), id, ActionJobCancel)
	if err != nil {
		return fmt.Errorf("finish cancel %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finish cancel %d: %w", id, ErrNotFound)
	}
	return nil
}

// AuditEvent returns one event by ID, or ErrNotFound.
func (p *Postgres) AuditEvent(ctx context.Context, id int64) (AuditEvent, error) {
	e, err := scanPgAudit(p.pool.QueryRow(ctx, pgAuditSelect+` WHERE id = $1`, id))
	if pgNoRows(err) {
		return AuditEvent{}, fmt.Errorf("audit event %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return AuditEvent{}, fmt.Errorf("audit event %d: %w", id, err)
	}
	return e, nil
}

// PendingCancels returns the pending cancel rows written at or before
// before, oldest first, at most limit of them.
func (p *Postgres) PendingCancels(ctx context.Context, before time.Time, limit int) ([]AuditEvent, error) {
	var max any = limit
	if limit < 0 {
		max = nil // no limit, as SQLite reads LIMIT -1
	}
	return p.queryAudit(ctx, "pending cancels", pgAuditSelect+` WHERE action = $1 AND outcome = $2 AND at <= $3
		ORDER BY at, id LIMIT $4`, ActionJobCancel, CancelPending, pgTime(before), max)
}
