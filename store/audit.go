package store

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Audit actions. AuditEvent.Action is a plain string so new actions need no
// migration; use these constants so filters match.
const (
	ActionLogin            = "login"
	ActionLoginFailed      = "login_failed"
	ActionLogout           = "logout"
	ActionCredentialAdd    = "credential_add"
	ActionCredentialDelete = "credential_delete"
	ActionCredentialTest   = "credential_test"
	ActionJobCancel        = "job_cancel"
	ActionPasswordChange   = "password_change"
	ActionRoleChange       = "role_change"
	ActionUserDisable      = "user_disable"
	ActionUserEnable       = "user_enable"
	ActionUserAdd          = "user_add"
	ActionKeysRotate       = "keys_rotate"
)

// AuditEvent is one line of the audit log. Fields that do not apply stay
// empty. It must never carry a secret.
type AuditEvent struct {
	ID int64
	At time.Time // zero means now when added; stored as UTC microseconds
	// UserID is the acting user, or 0 when there is none (for example a
	// failed login for an unknown email).
	UserID int64
	// UserEmail is kept as typed at the time, so the log stays readable
	// after an email changes or for unknown emails.
	UserEmail  string
	Action     string
	AccountID  string
	JobID      string
	Reason     string // why the analyst acted, as they typed it
	Outcome    string // for example "ok", "denied", "error"
	Detail     string // more context, such as an upstream error message
	RemoteAddr string
}

// AuditFilter selects audit events. Zero fields match everything.
type AuditFilter struct {
	UserID    int64
	Action    string
	AccountID string
	JobID     string
	Since     time.Time // inclusive
	Until     time.Time // exclusive
	// Limit caps the result: 0 means DefaultAuditLimit, and values above
	// MaxAuditLimit are lowered to it.
	Limit  int
	Offset int
}

// Audit list limits.
const (
	// DefaultAuditLimit is used when AuditFilter.Limit is 0.
	DefaultAuditLimit = 100
	// MaxAuditLimit is the most events one ListAudit call returns.
	MaxAuditLimit = 1000
)

// maxAuditField caps each free-text field, so a hostile client cannot fill
// the disk through one request.
const maxAuditField = 2000

// normalize applies the defaults and caps to f.
func (f AuditFilter) normalize() AuditFilter {
	if f.Limit <= 0 {
		f.Limit = DefaultAuditLimit
	}
	if f.Limit > MaxAuditLimit {
		f.Limit = MaxAuditLimit
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	return f
}

// matchable reports whether every text field of f could match a stored
// value: stored text is always valid UTF-8 without NUL (see cleanText), so
// a filter that is not can match nothing, and is not sent to the database.
func (f AuditFilter) matchable() bool {
	return storable(f.Action) && storable(f.AccountID) && storable(f.JobID)
}

// normalize fills At, checks Action, makes every text field storable and
// truncates over-long fields.
func (e AuditEvent) normalize() (AuditEvent, error) {
	e.Action = strings.TrimSpace(e.Action)
	if e.Action == "" {
		return e, invalid("audit event has no action")
	}
	if e.At.IsZero() {
		e.At = now()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	for _, s := range []*string{&e.UserEmail, &e.Action, &e.AccountID, &e.JobID,
		&e.Reason, &e.Outcome, &e.Detail, &e.RemoteAddr} {
		*s = truncate(cleanText(*s), maxAuditField)
	}
	return e, nil
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
