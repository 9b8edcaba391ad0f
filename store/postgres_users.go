package store

import (
	"context"
	"fmt"
)

// pgUserColumns are read by scanPgUser, in its order.
const pgUserColumns = `id, email, role, disabled, session_version, created_at, updated_at`

// scanPgUser reads pgUserColumns, plus any extra destinations after them.
func scanPgUser(r rowScanner, extra ...any) (User, error) {
	var u User
	var role string
	dest := []any{&u.ID, &u.Email, &role, &u.Disabled, &u.SessionVersion, &u.CreatedAt, &u.UpdatedAt}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return User{}, err
	}
	u.Role = Role(role)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, nil
}

// CreateUser adds a user with SessionVersion 1.
func (p *Postgres) CreateUser(ctx context.Context, email string, role Role, passwordHash string) (User, error) {
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
	err = p.pool.QueryRow(ctx, `INSERT INTO users
		(email, role, password_hash, disabled, session_version, created_at, updated_at)
		VALUES ($1, $2, $3, false, $4, $5, $5) RETURNING id`,
		u.Email, string(u.Role), passwordHash, u.SessionVersion, t,
	).Scan(&u.ID)
	if pgCode(err) == pgUniqueViolation {
		return User{}, fmt.Errorf("create user %s: %w", email, ErrDuplicate)
	}
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// UserByID returns the user or ErrNotFound.
func (p *Postgres) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanPgUser(p.pool.QueryRow(ctx, `SELECT `+pgUserColumns+` FROM users WHERE id = $1`, id))
	if pgNoRows(err) {
		return User{}, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	return u, nil
}

// UserByEmail returns the user and its password hash. The email is matched
// case-insensitively; a malformed email is ErrNotFound too.
func (p *Postgres) UserByEmail(ctx context.Context, email string) (User, string, error) {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return User{}, "", fmt.Errorf("user by email: %w", ErrNotFound)
	}
	var hash string
	u, err := scanPgUser(p.pool.QueryRow(ctx,
		`SELECT `+pgUserColumns+`, password_hash FROM users WHERE email = $1`, norm), &hash)
	if pgNoRows(err) {
		return User{}, "", fmt.Errorf("user by email: %w", ErrNotFound)
	}
	if err != nil {
		return User{}, "", fmt.Errorf("user by email: %w", err)
	}
	return u, hash, nil
}

// ListUsers returns every user ordered by email.
func (p *Postgres) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+pgUserColumns+` FROM users ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var users []User
	for rows.Next() {
		u, err := scanPgUser(rows)
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
func (p *Postgres) SetPassword(ctx context.Context, id int64, passwordHash string) error {
	if err := checkHash(passwordHash); err != nil {
		return fmt.Errorf("set password of user %d: %w", id, err)
	}
	return p.updateUser(ctx, "set password", id, `password_hash = $1`, passwordHash)
}

// SetRole changes the role and bumps SessionVersion.
func (p *Postgres) SetRole(ctx context.Context, id int64, role Role) error {
	if !role.Valid() {
		return fmt.Errorf("set role of user %d: %w", id,
			invalid(fmt.Sprintf("role %q is not one of viewer, responder, admin", role)))
	}
	return p.updateUser(ctx, "set role", id, `role = $1`, string(role))
}

// SetDisabled disables or enables the user and bumps SessionVersion.
func (p *Postgres) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	return p.updateUser(ctx, "set disabled", id, `disabled = $1`, disabled)
}

// updateUser sets one column ($1), bumps session_version and updated_at,
// and reports ErrNotFound for an unknown id.
func (p *Postgres) updateUser(ctx context.Context, what string, id int64, set string, val any) error {
	tag, err := p.pool.Exec(ctx, `UPDATE users SET `+set+`,
		session_version = session_version + 1, updated_at = $2 WHERE id = $3`,
		val, now(), id)
	if err == nil {
		err = pgAffected(tag)
	}
	if err != nil {
		return fmt.Errorf("%s of user %d: %w", what, id, err)
	}
	return nil
}

// BumpSessionVersion ends every session of the user and returns the new
// version.
func (p *Postgres) BumpSessionVersion(ctx context.Context, id int64) (int64, error) {
	var v int64
	err := p.pool.QueryRow(ctx, `UPDATE users SET session_version = session_version + 1,
		updated_at = $1 WHERE id = $2 RETURNING session_version`, now(), id).Scan(&v)
	if pgNoRows(err) {
		return 0, fmt.Errorf("bump session version of user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("bump session version of user %d: %w", id, err)
	}
	return v, nil
}
