package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// AddAudit appends an event. A zero At means now; Action is required.
func (p *Postgres) AddAudit(ctx context.Context, e AuditEvent) error {
	e, err := e.normalize()
	if err != nil {
		return fmt.Errorf("add audit event: %w", err)
	}
	if _, err := p.pool.Exec(ctx, pgAuditInsert, pgAuditArgs(e)...); err != nil {
		return fmt.Errorf("add audit event %s: %w", e.Action, err)
	}
	return nil
}

// pgAuditInsert writes one event; pgAuditArgs gives its arguments.
const pgAuditInsert = `INSERT INTO audit_events
	(at, user_id, user_email, action, account_id, job_id, reason, outcome, detail, remote_addr)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

// pgAuditArgs returns the arguments of pgAuditInsert for e.
func pgAuditArgs(e AuditEvent) []any {
	return []any{e.At, e.UserID, e.UserEmail, e.Action, e.AccountID, e.JobID,
		e.Reason, e.Outcome, e.Detail, e.RemoteAddr}
}

// ListAudit returns the events matching f, newest first.
func (p *Postgres) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	f = f.normalize()
	if !f.matchable() {
		return nil, nil
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if f.UserID != 0 {
		add("user_id =", f.UserID)
	}
	if f.Action != "" {
		add("action =", f.Action)
	}
	if f.AccountID != "" {
		add("account_id =", f.AccountID)
	}
	if f.JobID != "" {
		add("job_id =", f.JobID)
	}
	if !f.Since.IsZero() {
		add("at >=", pgTime(f.Since))
	}
	if !f.Until.IsZero() {
		add("at <", pgTime(f.Until))
	}
	q := pgAuditSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit, f.Offset)
	q += fmt.Sprintf(" ORDER BY at DESC, id DESC LIMIT $%d OFFSET $%d", len(args)-1, len(args))
	return p.queryAudit(ctx, "list audit events", q, args...)
}

// queryAudit runs a pgAuditSelect query and reads every row.
func (p *Postgres) queryAudit(ctx context.Context, what, q string, args ...any) ([]AuditEvent, error) {
	rows, err := p.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var events []AuditEvent
	for rows.Next() {
		e, err := scanPgAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return events, nil
}

// pgAuditSelect reads every column of audit_events, in scanPgAudit's order.
const pgAuditSelect = `SELECT id, at, user_id, user_email, action, account_id, job_id, reason, outcome, detail, remote_addr
	FROM audit_events`

// scanPgAudit reads one pgAuditSelect row.
func scanPgAudit(row rowScanner) (AuditEvent, error) {
	var e AuditEvent
	if err := row.Scan(&e.ID, &e.At, &e.UserID, &e.UserEmail, &e.Action, &e.AccountID, &e.JobID,
		&e.Reason, &e.Outcome, &e.Detail, &e.RemoteAddr); err != nil {
		return AuditEvent{}, err
	}
	e.At = e.At.UTC()
	return e, nil
}
