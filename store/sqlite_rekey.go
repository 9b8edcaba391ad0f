package store

import (
	"context"
	"fmt"
)

// Rekey re-seals every credential whose key is not the newest, and returns
// how many it re-sealed. Run it after putting a new key first in the
// keyring; once it returns without error, older keys can be dropped. It
// works in batches of 100 (see WithRekeyProgress), each its own immediate
// transaction, so processes serving from the same file are held up for one
// batch at a time, and a crash or a cancelled ctx leaves every row either
// as it was or re-sealed: running it again finishes. A row that cannot be
// opened stops it with an error naming the credential (delete it, or keep
// the key that opens it).
func (s *SQLite) Rekey(ctx context.Context) (int, error) {
	newest := s.keys.NewestKeyID()
	return rekeyAll(ctx, func(ctx context.Context, limit int, _ bool) (int, int, error) {
		return s.rekeyBatch(ctx, newest, limit)
	})
}

// rekeyBatch re-seals up to limit rows in one transaction. The immediate
// transaction (see sqlitePragmas) takes SQLite's write lock before the
// SELECT, so no other process changes these rows until it commits.
func (s *SQLite) rekeyBatch(ctx context.Context, newest string, limit int) (resealed, found int, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("rekey: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, `SELECT id, user_id, key_id, sealed FROM credentials
		WHERE key_id <> ? ORDER BY id LIMIT ?`, newest, limit)
	if err != nil {
		return 0, 0, fmt.Errorf("rekey: %w", err)
	}
	var batch []sealedRow
	for rows.Next() {
		var r sealedRow
		if err := rows.Scan(&r.id, &r.userID, &r.keyID, &r.sealed); err != nil {
			_ = rows.Close()
			return 0, 0, fmt.Errorf("rekey: %w", err)
		}
		batch = append(batch, r)
	}
	if err := rows.Close(); err != nil {
		return 0, 0, fmt.Errorf("rekey: %w", err)
	}
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("rekey: %w", err)
	}

	var openErr error
	for _, r := range batch {
		keyID, sealed, err := s.keys.reseal(r)
		if err != nil {
			openErr = err
			break
		}
		res, err := tx.ExecContext(ctx, `UPDATE credentials SET key_id = ?, sealed = ? WHERE id = ? AND key_id = ?`,
			keyID, sealed, r.id, r.keyID)
		if err != nil {
			return 0, 0, fmt.Errorf("rekey credential %s: %w", r.id, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			resealed++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("rekey: %w", err)
	}
	return resealed, len(batch), openErr
}

// Compile-time check that SQLite implements KeyRotator.
var _ KeyRotator = (*SQLite)(nil)

// Keyring returns the keys the store seals and opens with.
func (s *SQLite) Keyring() *Keyring { return s.keys }

// KeyUsage returns how many credentials each key seals, by key ID.
func (s *SQLite) KeyUsage(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key_id, count(*) FROM credentials GROUP BY key_id`)
	if err != nil {
		return nil, fmt.Errorf("key usage: %w", err)
	}
	defer rows.Close()
	usage := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("key usage: %w", err)
		}
		usage[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("key usage: %w", err)
	}
	return usage, nil
}

// PeerKeyrings returns ok false: other processes on the same file cannot be
// seen.
func (s *SQLite) PeerKeyrings(context.Context) ([]PeerKeyring, bool, error) { return nil, false, nil }
