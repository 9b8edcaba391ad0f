package guard

import (
	"context"
	"sync"
	"time"
)

// Context markers: a request's stale marker, and a read that must not be
// answered from the cache.
type (
	staleKey     struct{}
	noCacheKey   struct{}
	transientKey struct{}
)

// WithStaleMarker returns a context in which the Guard records that it served
// an old answer; Stale reads it back.
func WithStaleMarker(ctx context.Context) context.Context {
	return context.WithValue(ctx, staleKey{}, &staleMark{})
}

// staleMark is the oldest stale answer's time and why it was served, set
// by concurrent readers.
type staleMark struct {
	mu  sync.Mutex
	at  time.Time
	why error
}

// Stale returns when the oldest stale answer served under ctx was fetched,
// or the zero time.
func Stale(ctx context.Context) time.Time {
	at, _ := StaleReason(ctx)
	return at
}

// StaleReason returns Stale's time and the error that kept the read from
// Cloudflare (a spent budget, a rate limit, an outage), or the zero time and
// nil when every answer under ctx was fresh.
func StaleReason(ctx context.Context) (time.Time, error) {
	if m, ok := ctx.Value(staleKey{}).(*staleMark); ok {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.at, m.why
	}
	return time.Time{}, nil
}

// markStale records at and why in ctx's marker.
func markStale(ctx context.Context, at time.Time, why error) {
	if m, ok := ctx.Value(staleKey{}).(*staleMark); ok {
		m.mu.Lock()
		if m.at.IsZero() || at.Before(m.at) {
			m.at, m.why = at, why
		}
		m.mu.Unlock()
	}
}

// Uncached returns a context whose reads go to Cloudflare (within the budget)
// and are never answered from the cache: for testing a credential.
func Uncached(ctx context.Context) context.Context { return context.WithValue(ctx, noCacheKey{}, true) }

// Transient returns a context whose answers the Guard does not keep: the
// caller keeps its own (the Refresher's snapshots). Without it every feed's
// page of 100 jobs would be held twice, once per credential in the cache.
func Transient(ctx context.Context) context.Context {
	return context.WithValue(ctx, transientKey{}, true)
}
