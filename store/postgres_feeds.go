package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresFeeds is where the refreshers of the replicas on one PostgreSQL
// database share their feeds: it implements guard.Fleet (apiclient/guard)
// in plain values, so that neither package imports the other. A feed is a
// credential's guard Key (a hash, never the secret) and an account. The
// tables are those of migrations/postgres/0006_refresh_lease.sql. Times are
// the replicas' own clocks, which must agree to well within a refresh
// interval.
type PostgresFeeds struct {
	pool *pgxpool.Pool
}

// NewPostgresFeeds shares feeds through p's database.
func NewPostgresFeeds(p *Postgres) *PostgresFeeds { return &PostgresFeeds{pool: p.pool} }

// feedsChannel is the channel the snapshots' trigger notifies on.
const feedsChannel = "refresh_snapshots"

// maxWatched bounds the jobs Watched returns for one feed (the refresher
// reads at most 500 of them); the most recently watched come first.
const maxWatched = 1000

// Lead takes the feed's lease for holder until until, or renews it, unless
// another holder's lease runs at now; it returns whether holder leads and
// the stored snapshot's sequence (0: none). Two replicas asking at once
// queue on the lease's row, and the second finds the first's lease.
func (f *PostgresFeeds) Lead(ctx context.Context, cred, account, holder string, now, until time.Time) (bool, uint64, error) {
	var leader bool
	var seq int64
	err := f.pool.QueryRow(ctx, `
		WITH lease AS (
			INSERT INTO refresh_leases AS l (cred_key, account, holder, until) VALUES ($1, $2, $3, $5)
			ON CONFLICT (cred_key, account) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
				WHERE l.holder = EXCLUDED.holder OR l.until <= $4
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM lease),
			COALESCE((SELECT seq FROM refresh_snapshots WHERE cred_key = $1 AND account = $2), 0)`,
		cred, account, holder, pgTime(now), pgTime(until)).Scan(&leader, &seq)
	if err != nil {
		return false, 0, fmt.Errorf("take the feed's lease: %w", err)
	}
	return leader, uint64(seq), nil
}

// Release ends holder's lease of the feed, if it holds it.
func (f *PostgresFeeds) Release(ctx context.Context, cred, account, holder string) error {
	if _, err := f.pool.Exec(ctx, `DELETE FROM refresh_leases WHERE cred_key = $1 AND account = $2 AND holder = $3`,
		cred, account, holder); err != nil {
		return fmt.Errorf("release the feed's lease: %w", err)
	}
	return nil
}

// Load returns the stored snapshot's sequence (0: none), and its data when
// the sequence is above after.
func (f *PostgresFeeds) Load(ctx context.Context, cred, account string, after uint64) (uint64, []byte, error) {
	var seq int64
	var data []byte
	err := f.pool.QueryRow(ctx, `SELECT seq, CASE WHEN seq > $3 THEN data END FROM refresh_snapshots WHERE cred_key = $1 AND account = $2`,
		cred, account, int64(after)).Scan(&seq, &data)
	switch {
	case pgNoRows(err):
		return 0, nil, nil
	case err != nil:
		return 0, nil, fmt.Errorf("load the feed's snapshot: %w", err)
	}
	return uint64(seq), data, nil
}

// Publish stores data as the feed's snapshot when the stored sequence is
// still base (0: none is stored), under a new sequence; ok is false, and
// nothing is written, when another write came first. The row's lock makes
// two writes on one base exclusive: the second finds the first's sequence
// and writes nothing. The trigger tells every listener at commit.
func (f *PostgresFeeds) Publish(ctx context.Context, cred, account string, base uint64, data []byte, now time.Time) (uint64, bool, error) {
	var seq int64
	var err error
	if base == 0 {
		err = f.pool.QueryRow(ctx, `
			INSERT INTO refresh_snapshots (cred_key, account, seq, data, updated_at)
			VALUES ($1, $2, nextval('refresh_snapshot_seq'), $3, $4)
			ON CONFLICT (cred_key, account) DO NOTHING
			RETURNING seq`, cred, account, data, pgTime(now)).Scan(&seq)
	} else {
		err = f.pool.QueryRow(ctx, `
			UPDATE refresh_snapshots SET seq = nextval('refresh_snapshot_seq'), data = $4, updated_at = $5
			WHERE cred_key = $1 AND account = $2 AND seq = $3
			RETURNING seq`, cred, account, int64(base), data, pgTime(now)).Scan(&seq)
	}
	switch {
	case pgNoRows(err):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("publish the feed's snapshot: %w", err)
	}
	return uint64(seq), true, nil
}

// Watch records that tabs watch jobs of the feed until until (a record
// that runs longer is kept). The rows are written in job order, so that two
// replicas recording the same jobs at once cannot deadlock.
func (f *PostgresFeeds) Watch(ctx context.Context, cred, account string, jobs []string, until time.Time) error {
	if len(jobs) == 0 {
		return nil
	}
	jobs = slices.Compact(slices.Sorted(slices.Values(jobs)))
	if _, err := f.pool.Exec(ctx, `
		INSERT INTO refresh_watches (cred_key, account, job_id, until)
		SELECT $1, $2, j, $4 FROM unnest($3::text[]) AS j ORDER BY j
		ON CONFLICT (cred_key, account, job_id) DO UPDATE SET until = GREATEST(refresh_watches.until, EXCLUDED.until)`,
		cred, account, jobs, pgTime(until)); err != nil {
		return fmt.Errorf("record the watched jobs: %w", err)
	}
	return nil
}

// Watched returns the jobs of the feed whose records run at now.
func (f *PostgresFeeds) Watched(ctx context.Context, cred, account string, now time.Time) ([]string, error) {
	rows, err := f.pool.Query(ctx, `
		SELECT job_id FROM refresh_watches WHERE cred_key = $1 AND account = $2 AND until > $3
		ORDER BY until DESC, job_id LIMIT $4`, cred, account, pgTime(now), maxWatched)
	if err != nil {
		return nil, fmt.Errorf("read the watched jobs: %w", err)
	}
	jobs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read the watched jobs: %w", err)
	}
	return jobs, nil
}

// Forget deletes every row of the credential; the trigger tells every
// listener of each snapshot deleted.
func (f *PostgresFeeds) Forget(ctx context.Context, cred string) error {
	return f.deleteAll(ctx, "forget the credential's feeds", []string{
		`DELETE FROM refresh_leases WHERE cred_key = $1`,
		`DELETE FROM refresh_watches WHERE cred_key = $1`,
		`DELETE FROM refresh_snapshots WHERE cred_key = $1`,
	}, cred)
}

// Prune deletes the leases and watches that ended by now, and the
// snapshots not written since idleBefore (no replica leads them).
func (f *PostgresFeeds) Prune(ctx context.Context, now, idleBefore time.Time) error {
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM refresh_leases WHERE until <= $1`, pgTime(now))
	b.Queue(`DELETE FROM refresh_watches WHERE until <= $1`, pgTime(now))
	b.Queue(`DELETE FROM refresh_snapshots WHERE updated_at < $1`, pgTime(idleBefore))
	if err := f.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("prune the feeds: %w", err)
	}
	return nil
}

// deleteAll runs statements with arg in one transaction.
func (f *PostgresFeeds) deleteAll(ctx context.Context, what string, stmts []string, arg any) error {
	err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s, arg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Listen listens on a connection of its own (not one of the pool's, which
// it would hold for good), calls ready once it does, then changed for
// every snapshot written (seq) or deleted (0), until ctx ends or the
// connection fails.
func (f *PostgresFeeds) Listen(ctx context.Context, ready func(), changed func(cred, account string, seq uint64)) error {
	conn, err := pgx.ConnectConfig(ctx, f.pool.Config().ConnConfig)
	if err != nil {
		return fmt.Errorf("listen for shared snapshots: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+feedsChannel); err != nil {
		return fmt.Errorf("listen for shared snapshots: %w", err)
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("listen for shared snapshots: %w", err)
		}
		if seq, cred, account, ok := parseFeedNote(n.Payload); ok {
			changed(cred, account, seq)
		}
	}
}

// parseFeedNote reads the trigger's "seq cred_key account".
func parseFeedNote(p string) (seq uint64, cred, account string, ok bool) {
	parts := strings.SplitN(p, " ", 3)
	if len(parts) != 3 {
		return 0, "", "", false
	}
	seq, err := strconv.ParseUint(parts[0], 10, 64)
	return seq, parts[1], parts[2], err == nil
}
