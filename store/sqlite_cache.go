package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// What the SQLite store offers a Cache: credential rows with their secret
// still sealed (SealedReader) and the change counter (Revisioner).

var (
	_ SealedReader = (*SQLite)(nil)
	_ Revisioner   = (*SQLite)(nil)
)

// SealedCredentialForAccount is CredentialForAccount without opening the
// secret.
func (s *SQLite) SealedCredentialForAccount(ctx context.Context, userID int64, accountID string) (SealedCredential, error) {
	var sc SealedCredential
	c, err := scanCredential(s.queryRow(ctx, `SELECT `+credentialColumns+`, key_id, sealed
		FROM credentials WHERE user_id = ? AND account_id = ?
		ORDER BY created_at DESC, id DESC LIMIT 1`, userID, accountID), &sc.keyID, &sc.sealed)
	if errors.Is(err, sql.ErrNoRows) {
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
func (s *SQLite) OpenSealed(sc SealedCredential) (Secret, error) {
	pt, err := s.keys.Open(sc.keyID, sc.sealed, credentialAAD(sc.ID, sc.UserID))
	if err != nil {
		return Secret{}, err
	}
	return secretFor(sc.Credential, pt), nil
}

// Revision returns the change counter of users and credentials that the
// triggers of migration 0004 keep.
func (s *SQLite) Revision(ctx context.Context) (int64, error) {
	var n int64
	if err := s.queryRow(ctx, `SELECT n FROM cache_revision WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read cache revision: %w", err)
	}
	return n, nil
}
