package store

import (
	"context"
	"fmt"
)

// defaultRekeyBatch is how many credentials one rekey transaction re-seals.
const defaultRekeyBatch = 100

// rekeyProgressKey carries WithRekeyProgress's options in a context.
type rekeyProgressKey struct{}

type rekeyProgress struct {
	batch  int
	report func(resealed int)
}

// WithRekeyProgress returns a context that makes Rekey re-seal at most batch
// credentials per transaction (0 keeps the default, 100) and call report,
// when not nil, after each transaction it commits, with the number re-sealed
// so far. Cancelling the context between two reports stops Rekey with
// every committed row re-sealed and every other row as it was.
func WithRekeyProgress(ctx context.Context, batch int, report func(resealed int)) context.Context {
	return context.WithValue(ctx, rekeyProgressKey{}, rekeyProgress{batch: batch, report: report})
}

// rekeyOptions reads WithRekeyProgress's options from ctx.
func rekeyOptions(ctx context.Context) rekeyProgress {
	o, _ := ctx.Value(rekeyProgressKey{}).(rekeyProgress)
	if o.batch <= 0 {
		o.batch = defaultRekeyBatch
	}
	return o
}

// sealedRow is one credential's sealed secret as stored.
type sealedRow struct {
	id     string
	userID int64
	keyID  string
	sealed []byte
}

// reseal opens r with the key that sealed it and seals it again with the
// newest key, under the same AAD.
func (k *Keyring) reseal(r sealedRow) (keyID string, sealed []byte, err error) {
	aad := credentialAAD(r.id, r.userID)
	pt, err := k.Open(r.keyID, r.sealed, aad)
	if err != nil {
		return "", nil, fmt.Errorf("rekey credential %s: %w", r.id, err)
	}
	defer clear(pt)
	keyID, sealed, err = k.Seal(pt, aad)
	if err != nil {
		return "", nil, fmt.Errorf("rekey credential %s: %w", r.id, err)
	}
	return keyID, sealed, nil
}

// rekeyBatchFunc re-seals, in one transaction, up to limit credentials not
// sealed with the newest key, and returns how many it re-sealed and how
// many candidates it found. With wait false it may pass over rows that
// other transactions hold (and find none); with wait true it waits for
// them. A row it cannot open stops it: it commits the rows re-sealed before
// that one, then returns the error.
type rekeyBatchFunc func(ctx context.Context, limit int, wait bool) (resealed, found int, err error)

// rekeyAll runs batch until no credential is left on an older key. Every
// batch commits on its own, so a crash or a cancelled ctx leaves each row
// either as it was or re-sealed, and running Rekey again finishes the job.
// It returns only once a waiting batch finds nothing, so no row held by
// another transaction (a concurrent rotation, a delete) is left behind.
func rekeyAll(ctx context.Context, batch rekeyBatchFunc) (int, error) {
	o := rekeyOptions(ctx)
	total, wait := 0, false
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("rekey: stopped after %d credentials: %w", total, err)
		}
		n, found, err := batch(ctx, o.batch, wait)
		total += n
		if n > 0 && o.report != nil {
			o.report(total)
		}
		if err != nil {
			return total, err
		}
		if found == 0 && wait {
			return total, nil
		}
		wait = found == 0
	}
}

// KeyRotator is what "dashboard keys rotate" needs beyond Rekey to check,
// before it changes anything, that a rotation is safe. SQLite and Postgres
// implement it.
type KeyRotator interface {
	Rekey(ctx context.Context) (int, error)
	// Keyring returns the keys the store seals and opens with.
	Keyring() *Keyring
	// KeyUsage returns how many credentials each key seals, by key ID.
	KeyUsage(ctx context.Context) (map[string]int, error)
	// PeerKeyrings returns the keyrings of the other dashboard processes
	// connected to the database, as far as the backend can see them. On
	// PostgreSQL every dashboard names its connections after its keyring's
	// key IDs (see pgApplicationName), which pg_stat_activity shows; SQLite
	// cannot see other processes and returns ok false.
	PeerKeyrings(ctx context.Context) (peers []PeerKeyring, ok bool, err error)
}

// PeerKeyring is the keyring of another process's database connection: key
// IDs only, never key material.
type PeerKeyring struct {
	PID  int    // the PostgreSQL backend's process ID
	Addr string // the client's address; "" over a Unix socket
	// KeyIDs are the process's key IDs, newest (the one it seals with)
	// first. Partial means it has more keys than its connection name holds.
	KeyIDs  []string
	Partial bool
}

// Has reports whether the keyring holds the key with this ID.
func (k Keyring) Has(keyID string) bool {
	for _, key := range k.keys {
		if key.id == keyID {
			return true
		}
	}
	return false
}
