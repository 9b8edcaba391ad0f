package store

import (
	"context"
	"time"
)

// The rest of Store, passed to the wrapped store. Each method is written out,
// none embedded, so that a method added to Store does not compile until
// someone decides whether it changes what the Cache holds. Writes drop the
// rows they concern after they return, whether they succeeded or not: a
// failed write may still have changed the row.

// CreateUser adds a user; nothing cached can be that user yet.
func (c *Cache) CreateUser(ctx context.Context, email string, role Role, passwordHash string) (User, error) {
	return c.inner.CreateUser(ctx, email, role, passwordHash)
}

// UserByEmail is not cached: only logins and password changes ask.
func (c *Cache) UserByEmail(ctx context.Context, email string) (User, string, error) {
	return c.inner.UserByEmail(ctx, email)
}

// ListUsers is not cached.
func (c *Cache) ListUsers(ctx context.Context) ([]User, error) { return c.inner.ListUsers(ctx) }

// SetPassword changes the password and drops the user's row.
func (c *Cache) SetPassword(ctx context.Context, id int64, passwordHash string) error {
	defer c.dropUser(id)
	return c.inner.SetPassword(ctx, id, passwordHash)
}

// SetRole changes the role and drops the user's row.
func (c *Cache) SetRole(ctx context.Context, id int64, role Role) error {
	defer c.dropUser(id)
	return c.inner.SetRole(ctx, id, role)
}

// SetDisabled disables or enables the user and drops the user's row.
func (c *Cache) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	defer c.dropUser(id)
	return c.inner.SetDisabled(ctx, id, disabled)
}

// BumpSessionVersion ends every session of the user and drops the user's
// row.
func (c *Cache) BumpSessionVersion(ctx context.Context, id int64) (int64, error) {
	defer c.dropUser(id)
	return c.inner.BumpSessionVersion(ctx, id)
}

// AddCredential stores a credential and drops the owner's credentials: it
// may now be the newest for its account.
func (c *Cache) AddCredential(ctx context.Context, n NewCredential) (Credential, error) {
	defer c.dropCredentials(n.UserID)
	return c.inner.AddCredential(ctx, n)
}

// Credentials is not cached.
func (c *Cache) Credentials(ctx context.Context, userID int64) ([]Credential, error) {
	return c.inner.Credentials(ctx, userID)
}

// Credential is not cached.
func (c *Cache) Credential(ctx context.Context, userID int64, id string) (Credential, error) {
	return c.inner.Credential(ctx, userID, id)
}

// OpenCredential is not cached: only a credential test asks.
func (c *Cache) OpenCredential(ctx context.Context, userID int64, id string) (Credential, Secret, error) {
	return c.inner.OpenCredential(ctx, userID, id)
}

// DeleteCredential removes a credential and drops the owner's credentials.
func (c *Cache) DeleteCredential(ctx context.Context, userID int64, id string) (Credential, error) {
	defer c.dropCredentials(userID)
	return c.inner.DeleteCredential(ctx, userID, id)
}

// RecordCredentialTest stores a test's outcome and drops the owner's
// credentials, whose rows carry it.
func (c *Cache) RecordCredentialTest(ctx context.Context, userID int64, id string, ok bool, at time.Time) error {
	defer c.dropCredentials(userID)
	return c.inner.RecordCredentialTest(ctx, userID, id, ok, at)
}

// AccountIDs is not cached.
func (c *Cache) AccountIDs(ctx context.Context, userID int64) ([]string, error) {
	return c.inner.AccountIDs(ctx, userID)
}

// Rekey re-seals every credential and drops everything cached.
func (c *Cache) Rekey(ctx context.Context) (int, error) {
	defer c.Flush()
	return c.inner.Rekey(ctx)
}

// AddAudit appends an audit event.
func (c *Cache) AddAudit(ctx context.Context, e AuditEvent) error { return c.inner.AddAudit(ctx, e) }

// ListAudit returns matching audit events.
func (c *Cache) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	return c.inner.ListAudit(ctx, f)
}

// AuditEvent returns one audit event.
func (c *Cache) AuditEvent(ctx context.Context, id int64) (AuditEvent, error) {
	return c.inner.AuditEvent(ctx, id)
}

// BeginCancel writes a cancel's write-ahead row and claims the job.
func (c *Cache) BeginCancel(ctx context.Context, e AuditEvent, lease time.Duration) (AuditEvent, error) {
	return c.inner.BeginCancel(ctx, e, lease)
}

// FinishCancel records a cancel's outcome.
func (c *Cache) FinishCancel(ctx context.Context, id int64, outcome, detail string) error {
	return c.inner.FinishCancel(ctx, id, outcome, detail)
}

// PendingCancels returns cancel rows still pending.
func (c *Cache) PendingCancels(ctx context.Context, before time.Time, limit int) ([]AuditEvent, error) {
	return c.inner.PendingCancels(ctx, before, limit)
}

// Ping checks the wrapped store.
func (c *Cache) Ping(ctx context.Context) error { return c.inner.Ping(ctx) }

// Close closes the wrapped store.
func (c *Cache) Close() error { return c.inner.Close() }
