package store

import (
	"context"
	"fmt"
	"time"
)

// The failed login checks of every replica, for loginlimit.Shared (which
// *Postgres satisfies without either package importing the other). Keys
// are loginlimit's (AccountKey, AddrKey, DeviceKey): an email, an address
// or a device cookie's ID, never a password. Times are the callers' clocks.

// LoginFailures returns, for each of keys that has any, the times of its
// newest perKey failures after since, oldest first. The limiter needs no
// more: a key with perKey failures is over any limit up to perKey, and the
// oldest of them says when it will not be.
func (p *Postgres) LoginFailures(ctx context.Context, since time.Time, perKey int, keys []string) (map[string][]time.Time, error) {
	rows, err := p.pool.Query(ctx, `SELECT k.key, f.at
		FROM unnest($1::text[]) AS k(key)
		CROSS JOIN LATERAL (
			SELECT at FROM login_failures WHERE key = k.key AND at > $2 ORDER BY at DESC LIMIT $3
		) AS f
		ORDER BY k.key, f.at`, keys, pgTime(since), perKey)
	if err != nil {
		return nil, fmt.Errorf("read login failures: %w", err)
	}
	defer rows.Close()
	out := map[string][]time.Time{}
	for rows.Next() {
		var key string
		var at time.Time
		if err := rows.Scan(&key, &at); err != nil {
			return nil, fmt.Errorf("read login failures: %w", err)
		}
		out[key] = append(out[key], at.UTC())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read login failures: %w", err)
	}
	return out, nil
}

// RecordLoginFailure records one failed check at at against each of keys.
func (p *Postgres) RecordLoginFailure(ctx context.Context, at time.Time, keys []string) error {
	if _, err := p.pool.Exec(ctx, `INSERT INTO login_failures (key, at) SELECT unnest($1::text[]), $2`,
		keys, pgTime(at)); err != nil {
		return fmt.Errorf("record a login failure: %w", err)
	}
	return nil
}

// PruneLoginFailures deletes the failures at or before before.
func (p *Postgres) PruneLoginFailures(ctx context.Context, before time.Time) error {
	if _, err := p.pool.Exec(ctx, `DELETE FROM login_failures WHERE at <= $1`, pgTime(before)); err != nil {
		return fmt.Errorf("prune login failures: %w", err)
	}
	return nil
}
