package store

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what an analyst may do. Each role includes the ones before it:
// viewer < responder < admin.
type Role string

// The roles, from least to most powerful.
const (
	// RoleViewer may see jobs.
	RoleViewer Role = "viewer"
	// RoleResponder may also cancel jobs.
	RoleResponder Role = "responder"
	// RoleAdmin may also manage users and read the full audit log.
	RoleAdmin Role = "admin"
)

// Roles returns every role from least to most powerful, for pickers.
func Roles() []Role { return []Role{RoleViewer, RoleResponder, RoleAdmin} }

// ParseRole turns a name such as "responder" (any case, surrounding spaces
// ignored) into a Role.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", invalid(fmt.Sprintf("role %q is not one of viewer, responder, admin", s))
	}
	return r, nil
}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	switch r {
	case RoleViewer, RoleResponder, RoleAdmin:
		return true
	}
	return false
}

// String returns the role's name.
func (r Role) String() string { return string(r) }

// CanView reports whether r may see jobs (every valid role may).
func (r Role) CanView() bool { return r.Valid() }

// CanCancel reports whether r may cancel jobs.
func (r Role) CanCancel() bool { return r == RoleResponder || r == RoleAdmin }

// CanAdmin reports whether r may manage users and read the full audit log.
func (r Role) CanAdmin() bool { return r == RoleAdmin }

// User is a local analyst account. The password hash is deliberately not a
// field: only UserByEmail hands it out, for verification.
type User struct {
	ID    int64
	Email string // lower-case
	Role  Role
	// Disabled users must not log in; existing sessions end because
	// disabling bumps SessionVersion.
	Disabled bool
	// SessionVersion is copied into each session at login. A session whose
	// version differs from the user's current one is no longer valid.
	SessionVersion int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// CanCancel reports whether u is enabled and may cancel jobs.
func (u User) CanCancel() bool { return !u.Disabled && u.Role.CanCancel() }

// CanAdmin reports whether u is enabled and may manage users.
func (u User) CanAdmin() bool { return !u.Disabled && u.Role.CanAdmin() }

// maxEmailLen is the longest address SMTP allows.
const maxEmailLen = 254

// NormalizeEmail trims and lower-cases an address and checks that it is a
// bare address (no display name). The store applies it to every email it is
// given, so callers need not.
func NormalizeEmail(email string) (string, error) {
	if !utf8.ValidString(email) {
		// strings.ToLower would quietly turn the bad bytes into U+FFFD.
		return "", invalid(fmt.Sprintf("email %q is not a valid address", email))
	}
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", invalid("email is required")
	}
	if len(e) > maxEmailLen {
		return "", invalid("email is longer than 254 characters")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", invalid(fmt.Sprintf("email %q is not a valid address", email))
	}
	return e, nil
}
