package store

import (
	"context"
	"fmt"
)

// Rekey re-seals every credential whose key is not the newest, and returns
// how many it re-sealed. Run it after every replica has the new key first
// in its keyring (a replica with the old order would seal new credentials
// with the old key); once it returns without error, older keys can be
// dropped. It is safe while replicas serve and while another rotation
// runs: each batch of 100 (see WithRekeyProgress) is one transaction that
// locks only its rows (SELECT … FOR UPDATE SKIP LOCKED, so two rotations
// share the work instead of queueing), and a crash or a cancelled ctx
// leaves every row either as it was or re-sealed: running it again
// finishes. A row that cannot be opened stops it with an error naming the
// credential (delete it, or keep the key that opens it).
func (p *Postgres) Rekey(ctx context.Context) (int, error) {
	newest := p.keys.NewestKeyID()
	return rekeyAll(ctx, func(ctx context.Context, limit int, wait bool) (int, int, error) {
		return p.rekeyBatch(ctx, newest, limit, wait)
	})
}

// rekeyBatch re-seals up to limit rows in one transaction. Without wait it
// skips rows another transaction holds; with wait it waits for them (read
// committed re-checks key_id once the lock is free, so a row another
// rotation re-sealed meanwhile drops out).
func (p *Postgres) rekeyBatch(ctx context.Context, newest string, limit int, wait bool) (resealed, found int, err error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("rekey: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	q := `SELECT id, user_id, key_id, sealed FROM credentials WHERE key_id <> $1 ORDER BY id LIMIT $2 FOR UPDATE`
	if !wait {
		q += ` SKIP LOCKED`
	}
	rows, err := tx.Query(ctx, q, newest, limit)
	if err != nil {
		return 0, 0, fmt.Errorf("rekey: %w", err)
	}
	var batch []sealedRow
	for rows.Next() {
		var r sealedRow
		if err := rows.Scan(&r.id, &r.userID, &r.keyID, &r.sealed); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("rekey: %w", err)
		}
		batch = append(batch, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("rekey: %w", err)
	}

	var openErr error
	for _, r := range batch {
		keyID, sealed, err := p.keys.reseal(r)
		if err != nil {
			openErr = err
			break
		}
		tag, err := tx.Exec(ctx, `UPDATE credentials SET key_id = $1, sealed = $2 WHERE id = $3 AND key_id = $4`,
			keyID, sealed, r.id, r.keyID)
		if err != nil {
			return 0, 0, fmt.Errorf("rekey credential %s: %w", r.id, err)
		}
		resealed += int(tag.RowsAffected())
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, fmt.Errorf("rekey: %w", err)
	}
	return resealed, len(batch), openErr
}
