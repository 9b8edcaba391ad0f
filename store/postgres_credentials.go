package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgCredentialColumns are read by scanPgCredential, in its order.
const pgCredentialColumns = `id, user_id, label, account_id, kind, email, last4,
	created_at, last_tested_at, last_test_ok`

// scanPgCredential reads pgCredentialColumns, plus any extra destinations.
func scanPgCredential(r rowScanner, extra ...any) (Credential, error) {
	var (
		c      Credential
		kind   string
		tested *time.Time
	)
	dest := []any{&c.ID, &c.UserID, &c.Label, &c.AccountID, &kind, &c.Email, &c.Last4,
		&c.CreatedAt, &tested, &c.LastTestOK}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return Credential{}, err
	}
	c.Kind = CredentialKind(kind)
	c.CreatedAt = c.CreatedAt.UTC()
	if tested != nil {
		t := tested.UTC()
		c.LastTestedAt = &t
	}
	return c, nil
}

// AddCredential validates n, seals its secret with the newest key and
// stores it. ErrNotFound means the user does not exist.
func (p *Postgres) AddCredential(ctx context.Context, n NewCredential) (Credential, error) {
	c, keyID, sealed, err := newSealedCredential(p.keys, n)
	if err != nil {
		return Credential{}, fmt.Errorf("add credential: %w", err)
	}
	_, err = p.pool.Exec(ctx, `INSERT INTO credentials
		(id, user_id, label, account_id, kind, email, last4, key_id, sealed, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.ID, c.UserID, c.Label, c.AccountID, string(c.Kind), c.Email, c.Last4, keyID, sealed, c.CreatedAt)
	if pgCode(err) == pgForeignKeyViolation {
		return Credential{}, fmt.Errorf("add credential: user %d: %w", n.UserID, ErrNotFound)
	}
	if err != nil {
		return Credential{}, fmt.Errorf("add credential: %w", err)
	}
	return c, nil
}

// Credentials returns the user's credentials ordered by label (ignoring
// ASCII case), then by creation.
func (p *Postgres) Credentials(ctx context.Context, userID int64) ([]Credential, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+pgCredentialColumns+` FROM credentials
		WHERE user_id = $1 ORDER BY lower(label), label, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	defer rows.Close()
	var cs []Credential
	for rows.Next() {
		c, err := scanPgCredential(rows)
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
func (p *Postgres) Credential(ctx context.Context, userID int64, id string) (Credential, error) {
	if !storable(id) {
		return Credential{}, fmt.Errorf("credential: %w", ErrNotFound)
	}
	c, err := scanPgCredential(p.pool.QueryRow(ctx, `SELECT `+pgCredentialColumns+` FROM credentials
		WHERE id = $1 AND user_id = $2`, id, userID))
	if pgNoRows(err) {
		return Credential{}, fmt.Errorf("credential %s: %w", id, p.missing(ctx, p.pool, userID, id))
	}
	if err != nil {
		return Credential{}, fmt.Errorf("get credential %s: %w", id, err)
	}
	return c, nil
}

// OpenCredential returns one of the user's credentials with its secret, or
// ErrNotFound. A secret that fails to open matches ErrSecretUnreadable.
func (p *Postgres) OpenCredential(ctx context.Context, userID int64, id string) (Credential, Secret, error) {
	if !storable(id) {
		return Credential{}, Secret{}, fmt.Errorf("open credential: %w", ErrNotFound)
	}
	c, secret, err := p.openOne(ctx, "open credential "+id, `SELECT `+pgCredentialColumns+`, key_id, sealed
		FROM credentials WHERE id = $1 AND user_id = $2`, id, userID)
	if pgNoRows(err) {
		return Credential{}, Secret{}, fmt.Errorf("open credential %s: %w", id, p.missing(ctx, p.pool, userID, id))
	}
	return c, secret, err
}

// CredentialForAccount returns the user's newest credential for the
// account, opened, or ErrNotFound.
func (p *Postgres) CredentialForAccount(ctx context.Context, userID int64, accountID string) (Credential, Secret, error) {
	what := "open credential for account " + accountID
	if !storable(accountID) {
		return Credential{}, Secret{}, fmt.Errorf("open credential for account: %w", ErrNotFound)
	}
	c, secret, err := p.openOne(ctx, what, `SELECT `+pgCredentialColumns+`, key_id, sealed
		FROM credentials WHERE user_id = $1 AND account_id = $2
		ORDER BY created_at DESC, id DESC LIMIT 1`, userID, accountID)
	if pgNoRows(err) {
		return Credential{}, Secret{}, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return c, secret, err
}

// openOne runs a query for one credential row with key_id and sealed, and
// opens the secret with the AAD of the row it was read from. A missing row
// comes back as pgx.ErrNoRows for the caller to explain.
func (p *Postgres) openOne(ctx context.Context, what, query string, args ...any) (Credential, Secret, error) {
	var (
		keyID  string
		sealed []byte
	)
	c, err := scanPgCredential(p.pool.QueryRow(ctx, query, args...), &keyID, &sealed)
	if pgNoRows(err) {
		return Credential{}, Secret{}, err
	}
	if err != nil {
		return Credential{}, Secret{}, fmt.Errorf("%s: %w", what, err)
	}
	pt, err := p.keys.Open(keyID, sealed, credentialAAD(c.ID, c.UserID))
	if err != nil {
		return Credential{}, Secret{}, fmt.Errorf("%s: %w", what, err)
	}
	return c, secretFor(c, pt), nil
}

// DeleteCredential removes one of the user's credentials and returns it.
// The delete and the tombstone it leaves are one transaction; of two
// concurrent deletes (a double click, two replicas) the second waits on the
// row lock, finds the row gone and the tombstone committed, and gets
// ErrAlreadyDeleted with the ID and label. An ID that never was the user's
// gives ErrNotFound.
func (p *Postgres) DeleteCredential(ctx context.Context, userID int64, id string) (Credential, error) {
	if !storable(id) {
		return Credential{}, fmt.Errorf("delete credential: %w", ErrNotFound)
	}
	c, err := p.deleteCredential(ctx, userID, id)
	if err != nil {
		return c, fmt.Errorf("delete credential %s: %w", id, err)
	}
	return c, nil
}

// deleteCredential is DeleteCredential without the error's context.
func (p *Postgres) deleteCredential(ctx context.Context, userID int64, id string) (Credential, error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return Credential{}, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	c := Credential{ID: id, UserID: userID}
	err = tx.QueryRow(ctx, `DELETE FROM credentials WHERE id = $1 AND user_id = $2
		RETURNING label, account_id`, id, userID).Scan(&c.Label, &c.AccountID)
	if pgNoRows(err) {
		// Read committed: this statement sees a tombstone that a
		// concurrent delete committed while we waited for its row lock.
		label, err := p.tombstone(ctx, tx, userID, id)
		if errors.Is(err, ErrAlreadyDeleted) {
			return Credential{ID: id, UserID: userID, Label: label}, err
		}
		return Credential{}, err
	}
	if err != nil {
		return Credential{}, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO deleted_credentials (id, user_id, label, deleted_at)
		VALUES ($1, $2, $3, $4)`, id, userID, c.Label, now()); err != nil {
		return Credential{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return Credential{}, err
	}
	return c, nil
}

// pgQueryRower is *pgxpool.Pool or pgx.Tx.
type pgQueryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// missing tells why a credential row was not found: ErrAlreadyDeleted when
// the user deleted it, else ErrNotFound (or the error of the lookup).
func (p *Postgres) missing(ctx context.Context, q pgQueryRower, userID int64, id string) error {
	_, err := p.tombstone(ctx, q, userID, id)
	return err
}

// tombstone returns the label of a credential the user deleted, with
// ErrAlreadyDeleted, or ErrNotFound when there is no such tombstone.
func (p *Postgres) tombstone(ctx context.Context, q pgQueryRower, userID int64, id string) (string, error) {
	var label string
	err := q.QueryRow(ctx, `SELECT label FROM deleted_credentials WHERE id = $1 AND user_id = $2`, id, userID).Scan(&label)
	switch {
	case pgNoRows(err):
		return "", ErrNotFound
	case err != nil:
		return "", err
	}
	return label, ErrAlreadyDeleted
}

// RecordCredentialTest stores when the credential was last tested and
// whether the test passed, or returns ErrNotFound.
func (p *Postgres) RecordCredentialTest(ctx context.Context, userID int64, id string, ok bool, at time.Time) error {
	if !storable(id) {
		return fmt.Errorf("record test of credential: %w", ErrNotFound)
	}
	tag, err := p.pool.Exec(ctx, `UPDATE credentials SET last_tested_at = $1, last_test_ok = $2
		WHERE id = $3 AND user_id = $4`, pgTime(at), ok, id, userID)
	if err == nil {
		err = pgAffected(tag)
	}
	if err != nil {
		return fmt.Errorf("record test of credential %s: %w", id, err)
	}
	return nil
}

// AccountIDs returns the distinct account IDs of the user's credentials,
// sorted.
func (p *Postgres) AccountIDs(ctx context.Context, userID int64) ([]string, error) {
	rows, err := p.pool.Query(ctx, `SELECT DISTINCT account_id FROM credentials
		WHERE user_id = $1 ORDER BY account_id`, userID)
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
