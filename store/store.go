// Package store keeps the dashboard's users, their sealed Cloudflare
// credentials and the audit log.
//
// Handlers depend on the Store interface only. SQLite (OpenSQLite) is the
// embedded default; PostgreSQL (OpenPostgres) serves several replicas that
// share one database, with the same behaviour, which the suite in
// store/storetest checks on both. Everything database-neutral (validation,
// sealing, password hashing, the domain types) lives in files without a
// database prefix; SQL lives in the sqlite*.go and postgres*.go files and
// in migrations/sqlite and migrations/postgres.
//
// The store never logs. Secrets leave it only as a Secret, whose every
// formatting, logging and encoding path prints "[redacted]".
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Store is the persistence API the handlers and admin commands use. Every
// method takes ctx first. Methods that address a credential take the owning
// user's ID too, so one analyst can never read or change another's.
type Store interface {
	// CreateUser adds a user. The email is trimmed and stored lower-case;
	// an existing email (compared case-insensitively) gives ErrDuplicate.
	CreateUser(ctx context.Context, email string, role Role, passwordHash string) (User, error)
	// UserByID returns the user or ErrNotFound.
	UserByID(ctx context.Context, id int64) (User, error)
	// UserByEmail returns the user and its password hash, or ErrNotFound.
	// Callers should run DummyVerify on ErrNotFound to keep timing even.
	UserByEmail(ctx context.Context, email string) (User, string, error)
	// ListUsers returns every user ordered by email.
	ListUsers(ctx context.Context) ([]User, error)
	// SetPassword replaces the password hash and bumps SessionVersion.
	SetPassword(ctx context.Context, id int64, passwordHash string) error
	// SetRole changes the role and bumps SessionVersion.
	SetRole(ctx context.Context, id int64, role Role) error
	// SetDisabled disables or enables the user and bumps SessionVersion.
	SetDisabled(ctx context.Context, id int64, disabled bool) error
	// BumpSessionVersion ends every session of the user and returns the
	// new version.
	BumpSessionVersion(ctx context.Context, id int64) (int64, error)

	// AddCredential validates c, seals its secret and stores it.
	AddCredential(ctx context.Context, c NewCredential) (Credential, error)
	// Credentials returns the user's credentials ordered by label.
	Credentials(ctx context.Context, userID int64) ([]Credential, error)
	// Credential returns one of the user's credentials, or ErrNotFound
	// when it does not exist or belongs to someone else (ErrAlreadyDeleted,
	// which is also ErrNotFound, when the user deleted it).
	Credential(ctx context.Context, userID int64, id string) (Credential, error)
	// CredentialForAccount returns the user's newest credential for the
	// account with its opened secret, or ErrNotFound.
	CredentialForAccount(ctx context.Context, userID int64, accountID string) (Credential, Secret, error)
	// OpenCredential returns one of the user's credentials with its opened
	// secret, or ErrNotFound (ErrAlreadyDeleted when the user deleted it).
	OpenCredential(ctx context.Context, userID int64, id string) (Credential, Secret, error)
	// DeleteCredential removes one of the user's credentials and returns
	// it. A credential the user already deleted gives ErrAlreadyDeleted with
	// its ID and label; one that never was the user's gives ErrNotFound.
	DeleteCredential(ctx context.Context, userID int64, id string) (Credential, error)
	// RecordCredentialTest stores the outcome of a test call, or returns
	// ErrNotFound.
	RecordCredentialTest(ctx context.Context, userID int64, id string, ok bool, at time.Time) error
	// AccountIDs returns the distinct account IDs the user holds
	// credentials for, sorted.
	AccountIDs(ctx context.Context, userID int64) ([]string, error)
	// Rekey re-seals every credential not sealed with the newest key and
	// returns how many it re-sealed.
	Rekey(ctx context.Context) (int, error)

	// AddAudit appends an event; a zero At means now.
	AddAudit(ctx context.Context, e AuditEvent) error
	// ListAudit returns matching events, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
	// AuditEvent returns one event by ID, or ErrNotFound.
	AuditEvent(ctx context.Context, id int64) (AuditEvent, error)

	// BeginCancel writes the write-ahead audit row of a job cancel (outcome
	// CancelPending) before anything is sent to Cloudflare, and claims the
	// job with it: while another pending cancel of the same job younger
	// than lease exists, nothing is written and that row comes back with
	// ErrCancelInFlight. The claim holds for every process sharing the
	// database. It returns the row with its ID.
	BeginCancel(ctx context.Context, e AuditEvent, lease time.Duration) (AuditEvent, error)
	// FinishCancel records the outcome and detail of cancel row id.
	FinishCancel(ctx context.Context, id int64, outcome, detail string) error
	// PendingCancels returns up to limit cancel rows still pending that
	// were written at or before before, oldest first.
	PendingCancels(ctx context.Context, before time.Time, limit int) ([]AuditEvent, error)

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

var (
	// ErrNotFound means the row does not exist or is not the caller's.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyDeleted means the user deleted the credential earlier (a
	// double click, a second tab). It matches ErrNotFound too.
	ErrAlreadyDeleted = fmt.Errorf("already deleted: %w", ErrNotFound)
	// ErrDuplicate means a unique value (a user's email) is already taken.
	ErrDuplicate = errors.New("already exists")
	// ErrInvalid marks input that failed validation; the error is a
	// *ValidationError whose Message can be shown to the user.
	ErrInvalid = errors.New("invalid input")
	// ErrSecretUnreadable means a stored secret could not be opened: its
	// key is no longer in the keyring, or the row was tampered with or
	// copied from elsewhere. The credential must be added again.
	ErrSecretUnreadable = errors.New("stored secret cannot be opened")
)

// ValidationError is input that failed validation. Message is a sentence
// fit to show the user as is (it never contains a secret); the error also
// matches ErrInvalid. Get it back from a wrapped error with errors.As.
type ValidationError struct {
	Message string
}

// Error returns Message.
func (e *ValidationError) Error() string { return e.Message }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// invalid returns a *ValidationError with msg as its message.
func invalid(msg string) error { return &ValidationError{Message: msg} }

// now returns the current time as the store keeps it: UTC, microseconds.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
