package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

const userColumns = `id, email, role, disabled, session_version, created_at, updated_at`

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}

// scanUser reads userColumns, plus any extra destinations after them.
func scanUser(r rowScanner, extra ...any) (User, error) {
	var u User
	var role, created, updated string
	dest := []any{&u.ID, &u.Email, &role, &u.Disabled, &u.SessionVersion, &created, &updated}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return User{}, err
	}
	u.Role = Role(role)
	var errCreated, errUpdated error
	u.CreatedAt, errCreated = parseTime(created)
	u.UpdatedAt, errUpdated = parseTime(updated)
	return u, errors.Join(errCreated, errUpdated)
}

// checkHash rejects an obviously unusable password hash.
func checkHash(hash string) error {
	if !strings.HasPrefix(hash, "$") {
		return invalid("password hash is not in PHC format")
	}
	return nil
}

// CreateUser adds a user with SessionVersion 1.
func (s *SQLite) CreateUser(ctx context.Context, email string, role Role, passwordHash string) (User, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	if !role.Valid() {
		return User{}, fmt.Errorf("create user: %w", invalid(fmt.Sprintf("role %q is not one of viewer, responder, admin", role)))
	}
	if err := checkHash(passwordHash); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	t := now()
	u := User{Email: email, Role: role, SessionVersion: 1, CreatedAt: t, UpdatedAt: t}
	err = s.db.QueryRowContext(ctx, `INSERT INTO users
		(email, role, password_hash, disabled, session_version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Email, string(u.Role), passwordHash, false, u.SessionVersion, formatTime(t), formatTime(t),
	).Scan(&u.ID)
	if isUniqueViolation(err) {
		return User{}, fmt.Errorf("create user %s: %w", email, ErrDuplicate)
	}
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// UserByID returns the user or ErrNotFound.
func (s *SQLite) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	return u, nil
}

// UserByEmail returns the user and its password hash. The email is matched
// case-insensitively; a malformed email is ErrNotFound too.
func (s *SQLite) UserByEmail(ctx context.Context, email string) (User, string, error) {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return User{}, "", fmt.Errorf("user by email: %w", ErrNotFound)
	}
	var hash string
	u, err := scanUser(s.db.QueryRowContext(ctx,
		`SELECT `+userColumns+`, password_hash FROM users WHERE email = ?`, norm), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, "", fmt.Errorf("user by email: %w", ErrNotFound)
	}
	if err != nil {
		return User{}, "", fmt.Errorf("user by email: %w", err)
	}
	return u, hash, nil
}

// ListUsers returns every user ordered by email.
func (s *SQLite) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var users []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// SetPassword replaces the password hash and bumps SessionVersion.
func (s *SQLite) SetPassword(ctx context.Context, id int64, passwordHash string) error {
	if err := checkHash(passwordHash); err != nil {
		return fmt.Errorf("set password of user %d: %w", id, err)
	}
	return s.updateUser(ctx, "set password", id, `password_hash = ?`, passwordHash)
}

// SetRole changes the role and bumps SessionVersion.
func (s *SQLite) SetRole(ctx context.Context, id int64, role Role) error {
	if !role.Valid() {
		return fmt.Errorf("set role of user %d: %w", id,
			invalid(fmt.Sprintf("role %q is not one of viewer, responder, admin", role)))
	}
	return s.updateUser(ctx, "set role", id, `role = ?`, string(role))
}

// SetDisabled disables or enables the user and bumps SessionVersion.
func (s *SQLite) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	return s.updateUser(ctx, "set disabled", id, `disabled = ?`, disabled)
}

// updateUser sets one column, bumps session_version and updated_at, and
// reports ErrNotFound for an unknown id.
func (s *SQLite) updateUser(ctx context.Context, what string, id int64, set string, val any) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET `+set+`,
		session_version = session_version + 1, updated_at = ? WHERE id = ?`,
		val, formatTime(now()), id)
	if err == nil {
		err = checkAffected(res)
	}
	if err != nil {
		return fmt.Errorf("%s of user %d: %w", what, id, err)
	}
	return nil
}

// BumpSessionVersion ends every session of the user and returns the new
// version.
func (s *SQLite) BumpSessionVersion(ctx context.Context, id int64) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `UPDATE users SET session_version = session_version + 1,
		updated_at = ? WHERE id = ? RETURNING session_version`, formatTime(now()), id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("bump session version of user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("bump session version of user %d: %w", id, err)
	}
	return v, nil
}
