package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const credentialColumns = `id, user_id, label, account_id, kind, email, last4,
	created_at, last_tested_at, last_test_ok`

// scanCredential reads credentialColumns, plus any extra destinations.
func scanCredential(r rowScanner, extra ...any) (Credential, error) {
	var (
		c       Credential
		kind    string
		created string
		tested  sql.NullString
		ok      sql.NullBool
	)
	dest := []any{&c.ID, &c.UserID, &c.Label, &c.AccountID, &kind, &c.Email, &c.Last4, &created, &tested, &ok}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return Credential{}, err
	}
	c.Kind = CredentialKind(kind)
	var err error
	if c.CreatedAt, err = parseTime(created); err != nil {
		return Credential{}, err
	}
	if tested.Valid {
		t, err := parseTime(tested.String)
		if err != nil {
			return Credential{}, err
		}
		c.LastTestedAt = &t
	}
	if ok.Valid {
		c.LastTestOK = &ok.Bool
	}
	return c, nil
}

// AddCredential validates n, seals its secret with the newest key and
// stores it. ErrNotFound means the user does not exist.
func (s *SQLite) AddCredential(ctx context.Context, n NewCredential) (Credential, error) {
	c, keyID, sealed, err := newSealedCredential(s.keys, n)
	if err != nil {
		return Credential{}, fmt.Errorf("add credential: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO credentials
		(id, user_id, label, account_id, kind, email, last4, key_id, sealed, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.UserID, c.Label, c.AccountID, string(c.Kind), c.Email, c.Last4, keyID, sealed, formatTime(c.CreatedAt))
	if isForeignKeyViolation(err) {
		return Credential{}, fmt.Errorf("add credential: user %d: %w", n.UserID, ErrNotFound)
	}
	if err != nil {
		return Credential{}, fmt.Errorf("add credential: %w", err)
	}
	return c, nil
}

// Credentials returns the user's credentials ordered by label (ignoring
// case), then by creation.
func (s *SQLite) Credentials(ctx context.Context, userID int64) ([]Credential, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE user_id = ? ORDER BY lower(label), label, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	defer rows.Close()
	var cs []Credential
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, fmt.Errorf("list credentials: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	return cs, nil
}

// Credential returns one of the user's credentials, or ErrNotFound.
func (s *SQLite) Credential(ctx context.Context, userID int64, id string) (Credential, error) {
	c, err := scanCredential(s.db.QueryRowContext(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE id = ? AND user_id = ?`, id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Credential{}, fmt.Errorf("credential %s: %w", id, s.missing(ctx, s.db, userID, id))
	}
	if err != nil {
		return Credential{}, fmt.Errorf("get credential %s: %w", id, err)
	}
	return c, nil
}

// OpenCredential returns one of the user's credentials with its secret, or
// ErrNotFound. A secret that fails to open matches ErrSecretUnreadable.
func (s *SQLite) OpenCredential(ctx context.Context, userID int64, id string) (Credential, Secret, error) {
	c, secret, err := s.openOne(ctx, "open credential "+id, `SELECT `+credentialColumns+`, key_id, sealed
		FROM credentials WHERE id = ? AND user_id = ?`, id, userID)
	if errors.Is(err, ErrNotFound) {
		return Credential{}, Secret{}, fmt.Errorf("open credential %s: %w", id, s.missing(ctx, s.db, userID, id))
	}
	return c, secret, err
}

// CredentialForAccount returns the user's newest credential for the
// account, opened, or ErrNotFound.
func (s *SQLite) CredentialForAccount(ctx context.Context, userID int64, accountID string) (Credential, Secret, error) {
	sc, err := s.SealedCredentialForAccount(ctx, userID, accountID)
	if err != nil {
		return Credential{}, Secret{}, err
	}
	secret, err := s.OpenSealed(sc)
	if err != nil {
		return Credential{}, Secret{}, fmt.Errorf("open credential for account %s: %w", accountID, err)
	}
	return sc.Credential, secret, nil
}

// openOne runs a query for one credential row with key_id and sealed, and
// opens the secret with the AAD of the row it was read from.
func (s *SQLite) openOne(ctx context.Context, what, query string, args ...any) (Credential, Secret, error) {
	var (
		keyID  string
		sealed []byte
	)
	c, err := scanCredential(s.queryRow(ctx, query, args...), &keyID, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return Credential{}, Secret{}, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	if err != nil {
		return Credential{}, Secret{}, fmt.Errorf("%s: %w", what, err)
	}
	pt, err := s.keys.Open(keyID, sealed, credentialAAD(c.ID, c.UserID))
	if err != nil {
		return Credential{}, Secret{}, fmt.Errorf("%s: %w", what, err)
	}
	return c, secretFor(c, pt), nil
}

// DeleteCredential removes one of the user's credentials and returns it.
// The delete and the tombstone it leaves are one transaction, so of two
// concurrent deletes (a double click) exactly one deletes and the other gets
// ErrAlreadyDeleted, with the ID and label; an ID that never was the user's
// gives ErrNotFound.
func (s *SQLite) DeleteCredential(ctx context.Context, userID int64, id string) (Credential, error) {
	c, err := s.deleteCredential(ctx, userID, id)
	if err != nil {
		return c, fmt.Errorf("delete credential %s: %w", id, err)
	}
	return c, nil
}

// deleteCredential is DeleteCredential without the error's context.
func (s *SQLite) deleteCredential(ctx context.Context, userID int64, id string) (Credential, error) {
	tx, err := s.db.BeginTx(ctx, nil) // immediate (see sqlitePragmas): deletes queue here
	if err != nil {
		return Credential{}, err
	}
	defer func() { _ = tx.Rollback() }()
	c := Credential{ID: id, UserID: userID}
	// One statement finds and deletes: no window between a lookup and the
	// delete for a second request to fall into.
	err = tx.QueryRowContext(ctx, `DELETE FROM credentials WHERE id = ? AND user_id = ?
		RETURNING label, account_id`, id, userID).Scan(&c.Label, &c.AccountID)
	if errors.Is(err, sql.ErrNoRows) {
		label, err := s.tombstone(ctx, tx, userID, id)
		if errors.Is(err, ErrAlreadyDeleted) {
			return Credential{ID: id, UserID: userID, Label: label}, err
		}
		return Credential{}, err
	}
	if err != nil {
		return Credential{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO deleted_credentials (id, user_id, label, deleted_at) VALUES (?, ?, ?, ?)`,
		id, userID, c.Label, formatTime(now())); err != nil {
		return Credential{}, err
	}
	if err := tx.Commit(); err != nil {
		return Credential{}, err
	}
	return c, nil
}

// missing tells why a credential row was not found: ErrAlreadyDeleted when
// the user deleted it, else ErrNotFound (or the error of the lookup).
func (s *SQLite) missing(ctx context.Context, q queryRower, userID int64, id string) error {
	_, err := s.tombstone(ctx, q, userID, id)
	return err
}

// tombstone returns the label of a credential the user deleted, with
// ErrAlreadyDeleted, or ErrNotFound when there is no such tombstone.
func (s *SQLite) tombstone(ctx context.Context, q queryRower, userID int64, id string) (string, error) {
	var label string
	err := q.QueryRowContext(ctx, `SELECT label FROM deleted_credentials WHERE id = ? AND user_id = ?`, id, userID).Scan(&label)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", ErrNotFound
	case err != nil:
		return "", err
	}
	return label, ErrAlreadyDeleted
}

// queryRower is *sql.DB or *sql.Tx.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// RecordCredentialTest stores when the credential was last tested and
// whether the test passed, or returns ErrNotFound.
func (s *SQLite) RecordCredentialTest(ctx context.Context, userID int64, id string, ok bool, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE credentials SET last_tested_at = ?, last_test_ok = ?
		WHERE id = ? AND user_id = ?`, formatTime(at), ok, id, userID)
	if err == nil {
		err = checkAffected(res)
	}
	if err != nil {
		return fmt.Errorf("record test of credential %s: %w", id, err)
	}
	return nil
}

// AccountIDs returns the distinct account IDs of the user's credentials,
// sorted.
func (s *SQLite) AccountIDs(ctx context.Context, userID int64) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT account_id FROM credentials
		WHERE user_id = ? ORDER BY account_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list account ids: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list account ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list account ids: %w", err)
	}
	return ids, nil
}
