package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Compile-time check that Postgres implements KeyRotator.
var _ KeyRotator = (*Postgres)(nil)

// pgAppPrefix starts the application_name of every dashboard connection.
const pgAppPrefix = "dashboard keys="

// pgAppNameMax is the longest application_name PostgreSQL keeps
// (NAMEDATALEN - 1 bytes); it truncates longer ones.
const pgAppNameMax = 63

// pgApplicationName is the name a dashboard gives its connections: its key
// IDs, newest first ("dashboard keys=1a2b3c4d,5e6f7a8b"), so that "keys
// rotate" can see in pg_stat_activity whether every replica holds the new
// key, and first. A key ID is a hash prefix already stored beside every
// ciphertext, not key material. Five IDs fit; a longer ring ends in ",+".
func pgApplicationName(k *Keyring) string {
	ids := k.KeyIDs()
	for n := len(ids); n > 0; n-- {
		name := pgAppPrefix + strings.Join(ids[:n], ",")
		if n < len(ids) {
			name += ",+"
		}
		if len(name) <= pgAppNameMax {
			return name
		}
	}
	return pgAppPrefix // an empty ring; OpenPostgres refuses one
}

// parsePgApplicationName reads what pgApplicationName wrote.
func parsePgApplicationName(name string) (ids []string, partial, ok bool) {
	list, ok := strings.CutPrefix(name, pgAppPrefix)
	if !ok || list == "" {
		return nil, false, false
	}
	list, partial = strings.CutSuffix(list, ",+")
	return strings.Split(list, ","), partial, true
}

// nameConnections makes every connection of the pool carry the keyring's
// application_name (it replaces one given in the URL).
func nameConnections(cfg *pgxpool.Config, k *Keyring) {
	cfg.ConnConfig.RuntimeParams["application_name"] = pgApplicationName(k)
}

// Keyring returns the keys the store seals and opens with.
func (p *Postgres) Keyring() *Keyring { return p.keys }

// KeyUsage returns how many credentials each key seals, by key ID.
func (p *Postgres) KeyUsage(ctx context.Context) (map[string]int, error) {
	rows, err := p.pool.Query(ctx, `SELECT key_id, count(*) FROM credentials GROUP BY key_id`)
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

// PeerKeyrings returns the keyrings of the other dashboard connections to
// this database, read from pg_stat_activity, whose application_name any
// role may read. The pool's own connections are left out: it takes every
// idle one to learn their backend IDs, so call it while the store is quiet
// (as the admin command is). A process that holds no connection at that
// moment, or runs a build older than this one, cannot be seen.
func (p *Postgres) PeerKeyrings(ctx context.Context) ([]PeerKeyring, bool, error) {
	conns := p.pool.AcquireAllIdle(ctx)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	if len(conns) == 0 {
		c, err := p.pool.Acquire(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("peer keyrings: %w", err)
		}
		conns = append(conns, c)
	}
	own := map[int]bool{}
	for _, c := range conns {
		own[int(c.Conn().PgConn().PID())] = true
	}
	rows, err := conns[0].Query(ctx, `SELECT pid, application_name, coalesce(host(client_addr), '')
		FROM pg_stat_activity WHERE datname = current_database() AND starts_with(application_name, $1)
		ORDER BY pid`, pgAppPrefix)
	if err != nil {
		return nil, false, fmt.Errorf("peer keyrings: %w", err)
	}
	defer rows.Close()
	var peers []PeerKeyring
	for rows.Next() {
		var pk PeerKeyring
		var name string
		if err := rows.Scan(&pk.PID, &name, &pk.Addr); err != nil {
			return nil, false, fmt.Errorf("peer keyrings: %w", err)
		}
		ids, partial, ok := parsePgApplicationName(name)
		if !ok || own[pk.PID] {
			continue
		}
		pk.KeyIDs, pk.Partial = ids, partial
		peers = append(peers, pk)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("peer keyrings: %w", err)
	}
	return peers, true, nil
}
