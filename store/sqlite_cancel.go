package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// BeginCancel writes e (action job_cancel) as a pending row and claims the
// job with it. A pending row of the same job older than lease belongs to a
// process that stopped mid-cancel: it is closed as CancelUnknown first, so
// a crash never blocks the stop button. A younger one is returned with
// ErrCancelInFlight and nothing is written. The partial unique index
// audit_cancel_in_flight makes the claim hold across processes.
func (s *SQLite) BeginCancel(ctx context.Context, e AuditEvent, lease time.Duration) (AuditEvent, error) {
	e.Action, e.Outcome = ActionJobCancel, CancelPending
	e, err := e.normalize()
	if err != nil {
		return AuditEvent{}, fmt.Errorf("begin cancel: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return AuditEvent{}, fmt.Errorf("begin cancel: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE audit_events SET outcome = ?, detail = ?
		WHERE action = ? AND outcome = ? AND account_id = ? AND job_id = ? AND at <= ?`,
		CancelUnknown, abandonedDetail, ActionJobCancel, CancelPending, e.AccountID, e.JobID,
		formatTime(e.At.Add(-lease))); err != nil {
		return AuditEvent{}, fmt.Errorf("begin cancel: close abandoned rows: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO audit_events
		(at, user_id, user_email, action, account_id, job_id, reason, outcome, detail, remote_addr)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		formatTime(e.At), e.UserID, e.UserEmail, e.Action, e.AccountID, e.JobID,
		e.Reason, e.Outcome, e.Detail, e.RemoteAddr)
	if isUniqueViolation(err) {
		other, qerr := scanAudit(tx.QueryRowContext(ctx, auditSelect+` WHERE action = ? AND outcome = ?
			AND account_id = ? AND job_id = ?`, ActionJobCancel, CancelPending, e.AccountID, e.JobID))
		if qerr != nil {
			return AuditEvent{}, fmt.Errorf("begin cancel: read the cancel in flight: %w", qerr)
		}
		return other, ErrCancelInFlight
	}
	if err != nil {
		return AuditEvent{}, fmt.Errorf("begin cancel: %w", err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return AuditEvent{}, fmt.Errorf("begin cancel: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return AuditEvent{}, fmt.Errorf("begin cancel: %w", err)
	}
	return e, nil
}

// abandonedDetail explains a pending row closed by a later cancel.
const abandonedDetail = "the dashboard stopped before it recorded Cloudflare's answer; a later cancel of the job took over"

// FinishCancel records the outcome of the pending cancel row id. A row that
// is no longer pending (a later cancel closed it as abandoned) gets the
// outcome all the same: the answer arrived after all.
func (s *SQLite) FinishCancel(ctx context.Context, id int64, outcome, detail string) error {
	if outcome == "" || outcome == CancelPending {
		return fmt.Errorf("finish cancel %d: %w", id, invalid("a finished cancel needs an outcome"))
	}
	res, err := s.db.ExecContext(ctx, `UPDATE audit_events SET outcome = ?, detail = ? WHERE id = ? AND action = ?`,
		truncate(cleanText(outcome), maxAuditField), truncate(cleanText(detail), maxAuditField), id, ActionJobCancel)
	if err != nil {
		return fmt.Errorf("finish cancel %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finish cancel %d: %w", id, ErrNotFound)
	}
	return nil
}

// AuditEvent returns one event by ID, or ErrNotFound.
func (s *SQLite) AuditEvent(ctx context.Context, id int64) (AuditEvent, error) {
	e, err := scanAudit(s.db.QueryRowContext(ctx, auditSelect+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return AuditEvent{}, fmt.Errorf("audit event %d: %w", id, ErrNotFound)
	}
	return e, err
}

// PendingCancels returns the pending cancel rows written at or before
// before, oldest first, at most limit of them.
func (s *SQLite) PendingCancels(ctx context.Context, before time.Time, limit int) ([]AuditEvent, error) {
	rows, err := s.db.QueryContext(ctx, auditSelect+` WHERE action = ? AND outcome = ? AND at <= ?
		ORDER BY at, id LIMIT ?`, ActionJobCancel, CancelPending, formatTime(before), limit)
	if err != nil {
		return nil, fmt.Errorf("pending cancels: %w", err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("pending cancels: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
