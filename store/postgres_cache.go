package store

import (
	"context"
	"fmt"
)

// What the PostgreSQL store offers a Cache, as the SQLite store does:
// credential rows with their secret still sealed (SealedReader) and the
// change counter of migration 0004 (Revisioner), so revocations made on any
// replica reach every replica's cache within a second.

var (
	_ SealedReader = (*Postgres)(nil)
	_ Revisioner   = (*Postgres)(nil)
)

// SealedCredentialForAccount is CredentialForAccount without opening the
// secret.
func (p *Postgres) SealedCredentialForAccount(ctx context.Context, userID int64, accountID string) (SealedCredential, error) {
	if !storable(accountID) {
		return SealedCredential{}, fmt.Errorf("open credential for account: %w", ErrNotFound)
	}
	var sc SealedCredential
	c, err := scanPgCredential(p.pool.QueryRow(ctx, `SELECT `+pgCredentialColumns+`, key_id, sealed
		FROM credentials WHERE user_id = $1 AND account_id = $2
		ORDER BY created_at DESC, id DESC LIMIT 1`, userID, accountID), &sc.keyID, &sc.sealed)
	if pgNoRows(err) {
		return SealedCredential{}, fmt.Errorf("open credential for account %s: %w", accountID, ErrNotFound)
	}
	if err != nil {
		return SealedCredential{}, fmt.Errorf("open credential for account %s: %w", accountID, err)
	}
	sc.Credential = c
	return sc, nil
}

// OpenSealed opens the secret of a row SealedCredentialForAccount returned,
// with the AAD of that row. A failure matches ErrSecretUnreadable.
func (p *Postgres) OpenSealed(sc SealedCredential) (Secret, error) {
	pt, err := p.keys.Open(sc.keyID, sc.sealed, credentialAAD(sc.ID, sc.UserID))
	if err != nil {
		return Secret{}, err
	}
	return secretFor(sc.Credential, pt), nil
}

// Revision returns the change counter of users and credentials.
func (p *Postgres) Revision(ctx context.Context) (int64, error) {
	var n int64
	if err := p.pool.QueryRow(ctx, `SELECT n FROM cache_revision WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read cache revision: %w", err)
	}
	return n, nil
}
