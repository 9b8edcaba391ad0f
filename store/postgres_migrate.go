package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// postgresMigrations holds the PostgreSQL schema, one goose SQL file per
// version (NNNN_name.sql, each starting "-- +goose Up"), the same versions
// as migrations/sqlite. A later migration adds its tables in a new file.
//
//go:embed migrations/postgres/*.sql
var postgresMigrations embed.FS

// Why goose here and the hand-written migrator for SQLite: goose's Provider
// is kept and does what several replicas starting at once need on
// PostgreSQL (one session holds an advisory lock while it applies each
// pending file in its own transaction; the others wait, then find nothing to
// do). On SQLite it has no lock at all, so two processes opening one file
// would both try to apply the same migration; the SQLite migrator gets that
// safety from SQLite's own immediate transactions, and existing databases
// keep their schema_migrations table untouched. Both read the same numbered
// files, so a migration is always added to both folders with one version.

// MigrateLockID is the PostgreSQL advisory lock key held while migrating.
// Other advisory locks of the dashboard must use other keys.
const MigrateLockID int64 = 0x62756c6b6a6f6273 // "bulkjobs"

// pgVersionTable is goose's bookkeeping table.
const pgVersionTable = "goose_db_version"

// migrate applies every pending migration under the advisory lock and
// refuses a database migrated by a newer binary, as the SQLite migrator
// does.
func (p *Postgres) migrate(ctx context.Context) error {
	sub, err := fs.Sub(postgresMigrations, "migrations/postgres")
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(p.pool) // closing it leaves the pool open
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithSessionLocker(advisoryLocker{id: MigrateLockID}),
		goose.WithTableName(pgVersionTable),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	current, err := provider.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	sources := provider.ListSources()
	if known := sources[len(sources)-1].Version; current > known {
		return fmt.Errorf("database schema version %d is newer than this program knows (%d)", current, known)
	}
	return nil
}

// advisoryLocker is a goose SessionLocker that waits on pg_advisory_lock.
// goose's own Postgres locker polls pg_try_advisory_lock at least a second
// apart, so every replica that starts just behind another would wait a
// whole second; this one returns the moment the lock is free, and gives up
// when ctx ends (pgx cancels the waiting query).
type advisoryLocker struct{ id int64 }

var _ lock.SessionLocker = advisoryLocker{}

// SessionLock takes the lock for conn's session.
func (l advisoryLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, l.id); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	return nil
}

// SessionUnlock releases it. The lock also ends with the session, so a
// process that dies mid-migration never leaves it held.
func (l advisoryLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	var released bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, l.id).Scan(&released); err != nil {
		return fmt.Errorf("release the migration lock: %w", err)
	}
	if !released {
		return fmt.Errorf("release the migration lock: it was not held")
	}
	return nil
}
