package store

import (
	"context"
	"fmt"
	"strings"
)

// AddAudit appends an event. A zero At means now; Action is required.
func (s *SQLite) AddAudit(ctx context.Context, e AuditEvent) error {
	e, err := e.normalize()
	if err != nil {
		return fmt.Errorf("add audit event: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO audit_events
		(at, user_id, user_email, action, account_id, job_id, reason, outcome, detail, remote_addr)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		formatTime(e.At), e.UserID, e.UserEmail, e.Action, e.AccountID, e.JobID,
		e.Reason, e.Outcome, e.Detail, e.RemoteAddr); err != nil {
		return fmt.Errorf("add audit event %s: %w", e.Action, err)
	}
	return nil
}

// ListAudit returns the events matching f, newest first.
func (s *SQLite) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	f = f.normalize()
	if !f.matchable() {
		return nil, nil
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.UserID != 0 {
		add("user_id = ?", f.UserID)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.AccountID != "" {
		add("account_id = ?", f.AccountID)
	}
	if f.JobID != "" {
		add("job_id = ?", f.JobID)
	}
	if !f.Since.IsZero() {
		add("at >= ?", formatTime(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < ?", formatTime(f.Until))
	}
	q := auditSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?"
	args = append(args, f.Limit, f.Offset)

	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	var events []AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("list audit events: %w", err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return events, nil
}

// auditSelect reads every column of audit_events, in scanAudit's order.
const auditSelect = `SELECT id, at, user_id, user_email, action, account_id, job_id, reason, outcome, detail, remote_addr
		FROM audit_events`

// scanAudit reads one auditSelect row.
func scanAudit(row interface{ Scan(...any) error }) (AuditEvent, error) {
	var (
		e  AuditEvent
		at string
	)
	if err := row.Scan(&e.ID, &at, &e.UserID, &e.UserEmail, &e.Action, &e.AccountID, &e.JobID,
		&e.Reason, &e.Outcome, &e.Detail, &e.RemoteAddr); err != nil {
		return AuditEvent{}, err
	}
	var err error
	e.At, err = parseTime(at)
	return e, err
}
