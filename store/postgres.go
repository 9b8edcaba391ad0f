package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the Store backed by PostgreSQL (pgx, through a pgxpool), for
// several replicas sharing one database. It is safe for concurrent use and
// behaves exactly like SQLite: the same errors, the same sealing, UTC
// microsecond timestamps, byte-order sorting, and claims (the cancel claim,
// credential deletes, key rotation) that hold across every process sharing
// the database.
type Postgres struct {
	pool *pgxpool.Pool
	keys *Keyring
}

// Compile-time check that Postgres implements Store.
var _ Store = (*Postgres)(nil)

// defaultConnectTimeout bounds one connection attempt when the URL sets no
// connect_timeout, so a database that does not answer stops start-up with
// an error instead of hanging.
const defaultConnectTimeout = 10 * time.Second

// defaultMaxConns is the pool size of a replica when the URL sets no
// pool_max_conns: 16, so six replicas fit in PostgreSQL's default
// max_connections of 100 with room for the admin commands.
const defaultMaxConns = 16

// IsPostgresURL reports whether s is a postgres:// or postgresql:// URL.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// OpenPostgres connects to the database at url (postgres://user:password@
// host:port/dbname?sslmode=…, as libpq reads it), applies pending migrations
// under an advisory lock, so that replicas starting at once migrate once,
// and returns the store. keys seals and opens credential secrets. Errors
// never contain the password.
func OpenPostgres(ctx context.Context, url string, keys *Keyring) (*Postgres, error) {
	if keys == nil || len(keys.keys) == 0 {
		return nil, errors.New("open postgres: keyring is empty")
	}
	if !IsPostgresURL(url) {
		return nil, errors.New("open postgres: the URL must start with postgres:// or postgresql://")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors quote the URL with its password masked; say
		// only that it did not parse, to be sure.
		return nil, errors.New("open postgres: the URL is not a valid PostgreSQL connection URL")
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgxpool's default, max(4, cores), is too few here: every
		// request to Cloudflare counts its budget in the database, the
		// refresher's listener holds a connection, and a budget call that
		// waits 2 s for a connection fails closed.
		cfg.MaxConns = defaultMaxConns
	}
	nameConnections(cfg, keys)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	p := &Postgres{pool: pool, keys: keys}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := p.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return p, nil
}

// Pool returns the connection pool, for code that shares state between
// replicas through the same database (leases, budgets, notifications).
// Closing the store closes it.
func (p *Postgres) Pool() *pgxpool.Pool { return p.pool }

// Ping checks that the database answers.
func (p *Postgres) Ping(ctx context.Context) error {
	if err := p.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Close closes every connection of the pool.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

// PostgreSQL error codes the store turns into its own errors.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// pgTime is t as the store keeps it and sends it: UTC, microseconds.
func pgTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// pgNoRows reports whether a QueryRow found nothing.
func pgNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// pgAffected turns "no row changed" into ErrNotFound.
func pgAffected(tag pgconn.CommandTag) error {
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}
