package store

import (
	"context"
	"fmt"
)

// Rekey re-seals, in one transaction, every credential whose key is not the
// newest, and returns how many it re-sealed. Run it after putting a new key
// first in the keyring; once it returns, older keys can be dropped. A row
// that cannot be opened stops the whole rekey with an error naming the
// credential (delete it, or keep the key that opens it).
func (s *SQLite) Rekey(ctx context.Context) (int, error) {
	newest := s.keys.NewestKeyID()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("rekey: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	type row struct {
		id     string
		userID int64
		keyID  string
		sealed []byte
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, user_id, key_id, sealed FROM credentials
		WHERE key_id <> ? ORDER BY id`, newest)
	if err != nil {
		return 0, fmt.Errorf("rekey: %w", err)
	}
	var old []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.userID, &r.keyID, &r.sealed); err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("rekey: %w", err)
		}
		old = append(old, r)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("rekey: %w", err)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("rekey: %w", err)
	}

	for _, r := range old {
		aad := credentialAAD(r.id, r.userID)
		pt, err := s.keys.Open(r.keyID, r.sealed, aad)
		if err != nil {
			return 0, fmt.Errorf("rekey credential %s: %w", r.id, err)
		}
		keyID, sealed, err := s.keys.Seal(pt, aad)
		clear(pt)
		if err != nil {
			return 0, fmt.Errorf("rekey credential %s: %w", r.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE credentials SET key_id = ?, sealed = ? WHERE id = ?`,
			keyID, sealed, r.id); err != nil {
			return 0, fmt.Errorf("rekey credential %s: %w", r.id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("rekey: %w", err)
	}
	return len(old), nil
}
