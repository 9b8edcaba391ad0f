// Package guard is the upstream layer between the dashboard's handlers and
// Cloudflare: per-credential coalescing, a short answer cache, the read
// budget and Cloudflare's Retry-After blocks. It knows no Echo and no templ.
package guard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"golang.org/x/sync/singleflight"
)

// API is the part of the Cloudflare client the Guard wraps;
// *apiclient.Client satisfies it.
type API interface {
	ListJobs(ctx context.Context, cred apiclient.Credential, accountID string, opts apiclient.ListJobsOptions) ([]apiclient.Job, apiclient.ResultInfo, error)
	GetJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error)
	CancelJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error)
	ListJobMessages(ctx context.Context, cred apiclient.Credential, accountID, jobID string, opts apiclient.ListJobMessagesOptions) ([]apiclient.Message, apiclient.ResultInfo, error)
}

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
//
// The counts are per process: with several replicas, give each a share of
// the budget (DASHBOARD_UPSTREAM_BUDGET). A read counts once, although the
// client may resend a failed GET; the headroom absorbs those retries.
type Guard struct {
	next     API
	ttl      time.Duration
	limit    int           // reads per window per credential
	headroom int           // calls kept for writes
	window   time.Duration //
	now      func() time.Time

	sf    singleflight.Group
	mu    sync.Mutex
	creds map[string]*credState
}

// Memory bounds.
const (
	maxAnswersPerCred = 200
	maxCreds          = 10_000
)

// credState is one credential's recent calls and answers.
type credState struct {
	calls      []time.Time // upstream calls within the window, oldest first
	blockedTil time.Time   // Cloudflare's Retry-After
	answers    map[string]answer
	gen        int // bumped when a job's answers are dropped; flights of older generations are not joined or cached
}

// answer is one cached read.
type answer struct {
	val any
	at  time.Time
}

// Options tune New; zero values take the defaults.
type Options struct {
	TTL      time.Duration    // default 2s
	Limit    int              // calls per window, reads and writes; default 1200 (Cloudflare's)
	Headroom int              // of Limit, kept for writes; default 200
	Window   time.Duration    // default 5m
	Now      func() time.Time // default time.Now
}

// New wraps next.
func New(next API, o Options) (*Guard, error) {
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
		g.headroom = min(200, g.limit/6)
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.limit <= g.headroom || g.headroom < 0 || g.ttl < 0 || g.window <= 0 {
		return nil, fmt.Errorf("guard: the budget (%d) must be larger than the headroom for cancels (%d)", g.limit, g.headroom)
	}
	return g, nil
}

// Context markers: a request's stale marker, and a read that must not be
// answered from the cache.
type (
	staleKey   struct{}
	noCacheKey struct{}
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

// credKey identifies a credential without keeping its secret.
func credKey(c apiclient.Credential) string {
	sum := sha256.Sum256([]byte(c.APIToken + "\x00" + c.Email + "\x00" + c.APIKey))
	return hex.EncodeToString(sum[:16])
}

// flight is what a shared read hands every caller.
type flight struct {
	val   any
	at    time.Time // when val was fetched
	stale error     // why an old answer was served, nil when fresh
}

// read serves one read through the cache, the budget and singleflight. The
// shared call does not end when the first caller goes away (others may be
// waiting on it) but keeps that caller's deadline; each caller still stops
// waiting when its own context ends.
func read[T any](g *Guard, ctx context.Context, cred apiclient.Credential, key string, call func(context.Context) (T, error)) (T, error) {
	var zero T
	ck := credKey(cred)
	noCache := ctx.Value(noCacheKey{}) != nil
	a, ok, gen := g.cached(ck, key)
	if ok && !noCache && g.now().Sub(a.at) < g.ttl {
		return a.val.(T), nil
	}
	flightKey := fmt.Sprintf("%s|%d|%t|%s", ck, gen, noCache, key)
	ch := g.sf.DoChan(flightKey, func() (any, error) {
		if a, ok, _ := g.cached(ck, key); ok && !noCache && g.now().Sub(a.at) < g.ttl {
			return flight{val: a.val, at: a.at}, nil // filled while this flight waited to start
		}
		if wait := g.reserve(ck); wait > 0 {
			err := fmt.Errorf("%w: reads for this credential pause for %s to keep Cloudflare's rate limit free for cancels", ErrReadBudget, apiclient.HumanDuration(wait))
			if a, ok, _ := g.cached(ck, key); ok && !noCache {
				return flight{val: a.val, at: a.at, stale: err}, nil
			}
			return nil, err
		}
		shared := context.WithoutCancel(ctx)
		if d, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			shared, cancel = context.WithDeadline(shared, d)
			defer cancel()
		}
		val, err := call(shared)
		at := g.record(ck, key, gen, val, err)
		if errors.Is(err, apiclient.ErrRateLimited) && !noCache {
			if a, ok, _ := g.cached(ck, key); ok {
				return flight{val: a.val, at: a.at, stale: err}, nil
			}
		}
		if err != nil {
			return nil, err
		}
		return flight{val: val, at: at}, nil
	})
	select {
	case <-ctx.Done():
		return zero, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return zero, r.Err
		}
		f := r.Val.(flight)
		if f.stale != nil {
			markStale(ctx, f.at, f.stale)
		}
		return f.val.(T), nil
	}
}

// cached returns a cached answer and the credential's generation.
func (g *Guard) cached(ck, key string) (answer, bool, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.creds[ck]
	if st == nil {
		return answer{}, false, 0
	}
	a, ok := st.answers[key]
	return a, ok, st.gen
}

// state returns the credential's state, pruned to the window. g.mu is held.
func (g *Guard) state(ck string) *credState {
	st := g.creds[ck]
	if st == nil {
		if len(g.creds) >= maxCreds {
			g.sweep()
		}
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

// sweep forgets credentials idle for a whole window. g.mu is held.
func (g *Guard) sweep() {
	cut := g.now().Add(-g.window)
	for ck, st := range g.creds {
		if (len(st.calls) == 0 || !st.calls[len(st.calls)-1].After(cut)) && g.now().After(st.blockedTil) {
			delete(g.creds, ck)
		}
	}
}

// reserve counts a read before it is sent, under the lock, so concurrent
// reads cannot overrun the budget. It returns 0 when the read may go, else
// how long to wait.
func (g *Guard) reserve(ck string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state(ck)
	now := g.now()
	if now.Before(st.blockedTil) {
		return st.blockedTil.Sub(now)
	}
	reads := g.limit - g.headroom
	if len(st.calls) >= reads {
		return st.calls[len(st.calls)-reads].Add(g.window).Sub(now)
	}
	st.calls = append(st.calls, now)
	return 0
}

// record keeps a read's answer (unless a cancel dropped the job's answers
// while it was under way: it may predate the cancel) or Cloudflare's block.
// It returns the answer's time.
func (g *Guard) record(ck, key string, gen int, val any, err error) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state(ck)
	now := g.now()
	var apiErr *apiclient.APIError
	switch {
	case err == nil && gen == st.gen:
		st.answers[key] = answer{val: val, at: now}
		if len(st.answers) > maxAnswersPerCred {
			oldest := key
			for k, a := range st.answers {
				if a.at.Before(st.answers[oldest].at) {
					oldest = k
				}
			}
			delete(st.answers, oldest)
		}
	case errors.As(err, &apiErr) && errors.Is(err, apiclient.ErrRateLimited):
		wait := apiErr.RetryAfter
		if wait <= 0 {
			wait = g.window
		}
		st.blockedTil = now.Add(wait)
	}
	return now
}

// Known returns Cloudflare's last answer for the job under cred, of any
// age, and when it was fetched, without calling Cloudflare.
func (g *Guard) Known(cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, time.Time, bool) {
	a, ok, _ := g.cached(credKey(cred), "get|"+accountID+"|"+jobID)
	if !ok {
		return nil, time.Time{}, false
	}
	return a.val.(*apiclient.Job), a.at, true
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

// CancelJob always goes upstream (the headroom is there for it). Unless
// Cloudflare refused it for the rate limit (nothing changed, and the cached
// answers are the only ones to be had for five minutes), the job's cached
// answers and its account's lists are dropped, so the next read shows the job
// as it is now; a successful answer becomes the job's cached answer.
func (g *Guard) CancelJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error) {
	ck := credKey(cred)
	g.mu.Lock()
	st := g.state(ck)
	st.calls = append(st.calls, g.now())
	g.mu.Unlock()
	cancelled, err := g.next.CancelJob(ctx, cred, accountID, jobID)
	g.record(ck, "", -1, nil, err) // a block, if any; nothing to cache under ""
	if errors.Is(err, apiclient.ErrRateLimited) {
		return cancelled, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	st = g.state(ck)
	st.gen++
	list, job := "list|"+accountID+"|", "|"+accountID+"|"+jobID
	for k := range st.answers {
		if strings.HasPrefix(k, list) || strings.Contains(k, job) {
			delete(st.answers, k)
		}
	}
	if err == nil && cancelled != nil && cancelled.Status.Terminal() {
		// An answer that shows the job still running says nothing certain
		// about it after the cancel; only a terminal one is kept.
		st.answers["get"+job] = answer{val: cancelled, at: g.now()}
	}
	return cancelled, err
}
