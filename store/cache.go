package store

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Cache is a Store that keeps in memory, for a short while, the two rows
// every request reads (the signed-in user, UserByID, and the credential for
// the account, CredentialForAccount), and passes everything else to the Store
// it wraps. A poll then reads neither from the database.
//
// In this process a change takes effect on the very next request: every
// write through the Cache that can change what it holds (a logout or a
// password, role or disabled change, which all move the user's session
// version on; adding, deleting or testing a credential; a rekey) drops the
// rows concerned once the write has returned. A read that raced the write
// cannot put the old row back: a fill is kept only if no drop happened since
// it started (gen).
//
// A change made elsewhere on the same database (an admin command, another
// replica) does not pass through this Cache. When the wrapped store keeps a
// change counter (Revisioner; SQLite does, with triggers, so no write path
// can forget it), the Cache reads it at most once per CheckEvery and drops
// everything when it moved; rows then live up to TTL. A wrapped store without
// a counter has its rows live CheckEvery at most. Either way a change made
// elsewhere is seen within about CheckEvery (1 s by default), and requests
// that change something read the database anyway (Uncached). Replicas on one
// database work the same way, each with its own Cache reading the shared
// counter: one tiny read per replica per second. A PostgreSQL store can keep
// the counter with the same triggers (implement Revisioner), or a
// LISTEN/NOTIFY listener can call Flush on every notification and on every
// reconnection (a notification may have been missed), without changing this
// type or its callers.
//
// Secrets: credential rows are kept sealed (SealedCredential) and opened for
// each call, as the wrapped store would (AES-GCM on a few dozen bytes, well
// under a microsecond), so no opened secret stays in the cache. A wrapped
// store that cannot hand out sealed rows (no SealedReader) has its
// credentials read every time.
type Cache struct {
	inner      Store
	sealed     SealedReader // nil: credentials are not cached
	revisions  Revisioner   // nil: rows live CheckEvery at most
	ttl        time.Duration
	checkEvery time.Duration
	now        func() time.Time

	mu        sync.Mutex
	gen       uint64 // moves on at every drop; a fill started before it is discarded
	users     map[int64]cachedUser
	creds     map[int64]map[string]cachedCredential // user → account → newest credential
	revision  int64
	checked   time.Time // when revision was last read; zero: never
	checking  bool
	revKnown  bool
	lastSweep time.Time
}

type cachedUser struct {
	user    User
	expires time.Time
}

type cachedCredential struct {
	row     SealedCredential
	expires time.Time
}

// CacheOptions tune NewCache. Zero values take the defaults.
type CacheOptions struct {
	// TTL is how long a row is used before it is read again: 30 s by
	// default. It bounds nothing that matters for revocation when the
	// wrapped store keeps a change counter; without one it is capped at
	// CheckEvery.
	TTL time.Duration
	// CheckEvery is how often the change counter is read, and so how long a
	// change made by another process can go unseen: 1 s by default.
	CheckEvery time.Duration
	// Now is the clock (time.Now by default).
	Now func() time.Time
}

// SealedCredential is a credential row with its secret still sealed. Only
// the store that read it can open it (SealedReader.OpenSealed).
type SealedCredential struct {
	Credential
	keyID  string
	sealed []byte
}

// SealedReader is a store that can return the row CredentialForAccount would
// open, still sealed, and open it later.
type SealedReader interface {
	SealedCredentialForAccount(ctx context.Context, userID int64, accountID string) (SealedCredential, error)
	OpenSealed(sc SealedCredential) (Secret, error)
}

// Revisioner is a store that counts every change to users and credentials,
// in the database, so that any process can tell cheaply that something
// changed.
type Revisioner interface {
	Revision(ctx context.Context) (int64, error)
}

// NewCache wraps inner.
func NewCache(inner Store, opts CacheOptions) *Cache {
	c := &Cache{inner: inner, ttl: opts.TTL, checkEvery: opts.CheckEvery, now: opts.Now,
		users: map[int64]cachedUser{}, creds: map[int64]map[string]cachedCredential{}}
	c.sealed, _ = inner.(SealedReader)
	c.revisions, _ = inner.(Revisioner)
	if c.checkEvery <= 0 {
		c.checkEvery = time.Second
	}
	if c.ttl <= 0 {
		c.ttl = 30 * time.Second
	}
	if c.revisions == nil && c.ttl > c.checkEvery {
		c.ttl = c.checkEvery
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Compile-time check that Cache implements Store.
var _ Store = (*Cache)(nil)

type uncachedKey struct{}

// Uncached marks ctx so that reads through a Cache go to the wrapped store.
// Requests that change something use it: they are authorized against the
// database, never against a copy up to a second old.
func Uncached(ctx context.Context) context.Context {
	return context.WithValue(ctx, uncachedKey{}, true)
}

// isUncached reports whether ctx was made by Uncached.
func isUncached(ctx context.Context) bool { return ctx.Value(uncachedKey{}) != nil }

// UserByID returns the user, from the cache when it holds a fresh copy.
// ErrNotFound is not kept.
func (c *Cache) UserByID(ctx context.Context, id int64) (User, error) {
	if isUncached(ctx) {
		return c.inner.UserByID(ctx, id)
	}
	c.sync(ctx)
	c.mu.Lock()
	e, ok := c.users[id]
	gen, now := c.gen, c.now()
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.user, nil
	}
	u, err := c.inner.UserByID(ctx, id)
	if err == nil {
		c.fill(gen, now, func() { c.users[id] = cachedUser{user: u, expires: now.Add(c.ttl)} })
	}
	return u, err
}

// CredentialForAccount returns the user's newest credential for the
// account, opened from the cached sealed row when there is a fresh one.
// ErrNotFound is not kept.
func (c *Cache) CredentialForAccount(ctx context.Context, userID int64, accountID string) (Credential, Secret, error) {
	if c.sealed == nil || isUncached(ctx) {
		return c.inner.CredentialForAccount(ctx, userID, accountID)
	}
	c.sync(ctx)
	c.mu.Lock()
	e, ok := c.creds[userID][accountID]
	gen, now := c.gen, c.now()
	c.mu.Unlock()
	row := e.row
	if !ok || !now.Before(e.expires) {
		var err error
		if row, err = c.sealed.SealedCredentialForAccount(ctx, userID, accountID); err != nil {
			return Credential{}, Secret{}, err
		}
		c.fill(gen, now, func() {
			if c.creds[userID] == nil {
				c.creds[userID] = map[string]cachedCredential{}
			}
			c.creds[userID][accountID] = cachedCredential{row: row, expires: now.Add(c.ttl)}
		})
	}
	secret, err := c.sealed.OpenSealed(row)
	if err != nil {
		return Credential{}, Secret{}, fmt.Errorf("open credential for account %s: %w", accountID, err)
	}
	return row.Credential, secret, nil
}

// fill runs put under the lock unless a drop happened since gen was read,
// and now and then removes expired rows so the maps hold only what is in use.
func (c *Cache) fill(gen uint64, now time.Time, put func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return // a write or a revision change since the read started: the row may be old
	}
	put()
	if now.Sub(c.lastSweep) < c.ttl {
		return
	}
	c.lastSweep = now
	for id, e := range c.users {
		if !now.Before(e.expires) {
			delete(c.users, id)
		}
	}
	for id, accounts := range c.creds {
		for acct, e := range accounts {
			if !now.Before(e.expires) {
				delete(accounts, acct)
			}
		}
		if len(accounts) == 0 {
			delete(c.creds, id)
		}
	}
}

// sync reads the wrapped store's change counter when it is due and drops
// everything when it moved or cannot be read. One request reads it; the
// others meanwhile use what is cached.
func (c *Cache) sync(ctx context.Context) {
	if c.revisions == nil {
		return
	}
	c.mu.Lock()
	now := c.now()
	if c.checking || (!c.checked.IsZero() && now.Sub(c.checked) < c.checkEvery) {
		c.mu.Unlock()
		return
	}
	c.checking = true
	c.mu.Unlock()
	n, err := c.revisions.Revision(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checking = false
	switch {
	case err != nil:
		c.dropAllLocked() // cannot tell what changed: keep nothing; the next read asks again
	case !c.revKnown || n != c.revision:
		c.dropAllLocked()
		c.revision, c.revKnown, c.checked = n, true, now
	default:
		c.checked = now
	}
}

// Flush drops every cached row. A notifier of changes made elsewhere (a
// LISTEN/NOTIFY listener) can call it.
func (c *Cache) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropAllLocked()
}

func (c *Cache) dropAllLocked() {
	c.gen++
	clear(c.users)
	clear(c.creds)
}

// dropUser drops the cached row of user id.
func (c *Cache) dropUser(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.users, id)
}

// dropCredentials drops every cached credential of user id.
func (c *Cache) dropCredentials(userID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.creds, userID)
}
