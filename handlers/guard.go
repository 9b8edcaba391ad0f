package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"golang.org/x/sync/singleflight"
)

// ErrReadBudget means the read budget of a credential is spent and no earlier
// answer is at hand.
var ErrReadBudget = errors.New("read budget spent")

// Guard sits between the handlers and Cloudflare. Cloudflare allows 1200
// requests per 5 minutes per user and then blocks that user for five minutes,
// which would also block the cancel an analyst needs most. So, per credential:
// identical concurrent reads share one call, answers are reused for a few
// seconds, reads stop before the limit (keeping headroom for cancels) and
// while Cloudflare says to wait, and then the last good answer is served,
// marked stale. Everything is keyed by a hash of the credential: one analyst
// never sees data fetched with another's token. Writes always go through.
type Guard struct {
	next     JobsAPI
	ttl      time.Duration
	limit    int           // upstream calls per window per credential
	window   time.Duration //
	headroom int           // calls kept for writes
	now      func() time.Time

	sf    singleflight.Group
	mu    sync.Mutex
	creds map[string]*credState
}

// credState is one credential's recent calls and answers.
type credState struct {
	calls      []time.Time // upstream calls within the window, oldest first
	blockedTil time.Time   // Cloudflare's Retry-After
	answers    map[string]answer
	gen        int // bumped when answers are dropped; a read begun before keeps its answer to itself
}

// answer is one cached read.
type answer struct {
	val any
	at  time.Time
}

// GuardOptions tune NewGuard; zero values take the defaults.
type GuardOptions struct {
	TTL      time.Duration    // default 2s
	Limit    int              // default 1200 (Cloudflare's)
	Window   time.Duration    // default 5m
	Headroom int              // default 200
	Now      func() time.Time // default time.Now
}

// NewGuard wraps next.
func NewGuard(next JobsAPI, o GuardOptions) *Guard {
	g := &Guard{next: next, ttl: o.TTL, limit: o.Limit, window: o.Window, headroom: o.Headroom, now: o.Now,
		creds: map[string]*credState{}}
	if g.ttl == 0 {
		g.ttl = 2 * time.Second
	}
	if g.limit == 0 {
		g.limit = 1200
	}
	if g.window == 0 {
		g.window = 5 * time.Minute
	}
	if g.headroom == 0 {
		g.headroom = 200
	}
	if g.now == nil {
		g.now = time.Now
	}
	return g
}

// staleKey carries the stale marker of one request.
type staleKey struct{}

// WithStaleMarker returns a context in which the Guard records that it served
// an old answer; Stale reads it back.
func WithStaleMarker(ctx context.Context) context.Context {
	return context.WithValue(ctx, staleKey{}, new(time.Time))
}

// Stale returns when the oldest stale answer served under ctx was fetched,
// or the zero time.
func Stale(ctx context.Context) time.Time {
	if p, ok := ctx.Value(staleKey{}).(*time.Time); ok {
		return *p
	}
	return time.Time{}
}

// credKey identifies a credential without keeping its secret.
func credKey(c apiclient.Credential) string {
	sum := sha256.Sum256([]byte(c.APIToken + "\x00" + c.Email + "\x00" + c.APIKey))
	return hex.EncodeToString(sum[:16])
}

// read serves one read through the cache, the budget and singleflight. The
// shared call does not end when the first caller goes away (others may be
// waiting on it) but keeps that caller's deadline.
func read[T any](g *Guard, ctx context.Context, cred apiclient.Credential, key string, call func(context.Context) (T, error)) (T, error) {
	ck := credKey(cred)
	full := ck + "|" + key
	if v, ok, fresh := g.cached(ck, key); ok && fresh {
		return v.(T), nil
	}
	v, err, _ := g.sf.Do(full, func() (any, error) {
		if wait := g.mayRead(ck); wait > 0 {
			if old, ok, _ := g.cached(ck, key); ok {
				g.markStale(ctx, ck, key)
				return old, nil
			}
			return nil, fmt.Errorf("%w: reads for this credential pause for %s to keep Cloudflare's rate limit free for cancels", ErrReadBudget, apiclient.HumanDuration(wait))
		}
		shared := context.WithoutCancel(ctx)
		if d, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			shared, cancel = context.WithDeadline(shared, d)
			defer cancel()
		}
		gen := g.generation(ck)
		val, err := call(shared)
		g.record(ck, key, gen, val, err)
		if err != nil && errors.Is(err, apiclient.ErrRateLimited) {
			if old, ok, _ := g.cached(ck, key); ok {
				g.markStale(ctx, ck, key)
				return old, nil
			}
		}
		return val, err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

// cached returns a cached answer and whether it is still fresh.
func (g *Guard) cached(ck, key string) (any, bool, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.creds[ck]
	if st == nil {
		return nil, false, false
	}
	a, ok := st.answers[key]
	return a.val, ok, ok && g.now().Sub(a.at) < g.ttl
}

// markStale notes in ctx when the stale answer was fetched.
func (g *Guard) markStale(ctx context.Context, ck, key string) {
	p, ok := ctx.Value(staleKey{}).(*time.Time)
	if !ok {
		return
	}
	g.mu.Lock()
	at := g.creds[ck].answers[key].at
	g.mu.Unlock()
	if p.IsZero() || at.Before(*p) {
		*p = at
	}
}

// state returns the credential's state, pruned to the window. g.mu is held.
func (g *Guard) state(ck string) *credState {
	st := g.creds[ck]
	if st == nil {
		st = &credState{answers: map[string]answer{}}
		g.creds[ck] = st
	}
	cut := g.now().Add(-g.window)
	i := 0
	for i < len(st.calls) && !st.calls[i].After(cut) {
		i++
	}
	st.calls = st.calls[i:]
	return st
}

// mayRead returns 0 when a read may go upstream, else how long to wait.
func (g *Guard) mayRead(ck string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state(ck)
	now := g.now()
	if now.Before(st.blockedTil) {
		return st.blockedTil.Sub(now)
	}
	if len(st.calls) >= g.limit-g.headroom {
		return st.calls[len(st.calls)-(g.limit-g.headroom)].Add(g.window).Sub(now)
	}
	return 0
}

// generation returns the credential's answer generation.
func (g *Guard) generation(ck string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state(ck).gen
}

// record counts one upstream call and keeps its answer (unless the answers
// were dropped while it was under way: it may predate a cancel) or its block.
func (g *Guard) record(ck, key string, gen int, val any, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state(ck)
	now := g.now()
	st.calls = append(st.calls, now)
	var apiErr *apiclient.APIError
	switch {
	case err == nil && key != "" && gen == st.gen:
		st.answers[key] = answer{val: val, at: now}
		if len(st.answers) > 500 { // bound memory: forget everything old
			for k, a := range st.answers {
				if now.Sub(a.at) > g.window {
					delete(st.answers, k)
				}
			}
		}
	case errors.As(err, &apiErr) && errors.Is(err, apiclient.ErrRateLimited):
		wait := apiErr.RetryAfter
		if wait <= 0 {
			wait = g.window
		}
		st.blockedTil = now.Add(wait)
	}
}

// ListJobs reads through the guard.
func (g *Guard) ListJobs(ctx context.Context, cred apiclient.Credential, accountID string, opts apiclient.ListJobsOptions) ([]apiclient.Job, apiclient.ResultInfo, error) {
	type page struct {
		jobs []apiclient.Job
		info apiclient.ResultInfo
	}
	key := fmt.Sprintf("list|%s|%+v", accountID, opts)
	p, err := read(g, ctx, cred, key, func(ctx context.Context) (page, error) {
		jobs, info, err := g.next.ListJobs(ctx, cred, accountID, opts)
		return page{jobs, info}, err
	})
	return p.jobs, p.info, err
}

// GetJob reads through the guard.
func (g *Guard) GetJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error) {
	return read(g, ctx, cred, "get|"+accountID+"|"+jobID, func(ctx context.Context) (*apiclient.Job, error) {
		return g.next.GetJob(ctx, cred, accountID, jobID)
	})
}

// ListJobMessages reads through the guard.
func (g *Guard) ListJobMessages(ctx context.Context, cred apiclient.Credential, accountID, jobID string, opts apiclient.ListJobMessagesOptions) ([]apiclient.Message, apiclient.ResultInfo, error) {
	type page struct {
		msgs []apiclient.Message
		info apiclient.ResultInfo
	}
	key := fmt.Sprintf("messages|%s|%s|%+v", accountID, jobID, opts)
	p, err := read(g, ctx, cred, key, func(ctx context.Context) (page, error) {
		msgs, info, err := g.next.ListJobMessages(ctx, cred, accountID, jobID, opts)
		return page{msgs, info}, err
	})
	return p.msgs, p.info, err
}

// CancelJob always goes upstream (the headroom is there for it) and counts
// against the budget. When the cancel may have changed the job (it worked, or
// no clear answer came back) the credential's cached answers are dropped, so
// the next read shows the job as it is now; a refusal keeps them.
func (g *Guard) CancelJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error) {
	job, err := g.next.CancelJob(ctx, cred, accountID, jobID)
	ck := credKey(cred)
	g.record(ck, "", 0, nil, err)
	if err == nil || errors.Is(err, apiclient.ErrUnavailable) || errors.Is(err, apiclient.ErrInvalidResponse) {
		g.mu.Lock()
		st := g.state(ck)
		clear(st.answers)
		st.gen++
		g.mu.Unlock()
	}
	return job, err
}
