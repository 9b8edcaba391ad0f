// Package guard is the upstream layer between the dashboard's handlers and
// Cloudflare. The Transport, under the API client, counts every request that
// leaves the process against a per-credential budget, honours Cloudflare's
// Retry-After blocks and runs a circuit breaker. The Guard, above the client,
// coalesces identical reads, reuses answers for a moment and serves the last
// good answer when a read cannot be had. It knows no Echo and no templ.
package guard

import (
	"context"
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

// Guard sits between the handlers and the API client, per credential:
// identical concurrent reads share one call, answers are reused for a few
// seconds, and when a read cannot be had (the Transport held it back for the
// budget, a Retry-After block or an open breaker, or Cloudflare failed or
// rate limited it) the last good answer is served, marked stale with the
// reason. Everything is keyed by a hash of the credential: one analyst never
// sees data fetched with another's token. Writes always go to the client.
//
// The Guard counts nothing itself: the client it wraps must send through a
// Transport (NewTransport), which counts every attempt, retries included.
type Guard struct {
	next   API
	ttl    time.Duration
	window time.Duration // a credential idle this long may be forgotten
	now    func() time.Time
	// observer is told how each read was answered; nil: nobody is.
	observer Observer

	sf     singleflight.Group
	mu     sync.Mutex
	creds  map[string]*credState
	shared sharedAnswers
}

// maxAnswersPerCred bounds the cache of one credential.
const maxAnswersPerCred = 200

// credState is one credential's recent answers.
type credState struct {
	answers map[string]answer
	used    time.Time // the last read or write
	gen     int       // bumped when a job's answers are dropped; flights of older generations are not joined or cached
}

// answer is one cached read. Its value is shared with every other
// credential whose read returned the same (see sharedAnswers).
type answer struct {
	box *boxed
	at  time.Time
}

// val returns the answer's value.
func (a answer) val() any { return a.box.val }

// New wraps next. Of o it uses TTL, Window, Now and Observer, and checks the rest as
// NewTransport does.
func New(next API, o Options) (*Guard, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Guard{next: next, ttl: o.TTL, window: o.Window, now: o.Now, observer: o.Observer, creds: map[string]*credState{}}, nil
}

// flight is what a shared read hands every caller.
type flight struct {
	val   any
	at    time.Time // when val was fetched
	stale error     // why an old answer was served, nil when fresh
	hit   bool      // val came from the cache: no call was made
}

// read serves one read through the cache and singleflight. The shared call
// does not end when the first caller goes away (others may be waiting on it)
// but keeps that caller's deadline; each caller still stops waiting when its
// own context ends.
func read[T any](g *Guard, ctx context.Context, cred apiclient.Credential, key string, call func(context.Context) (T, error)) (T, error) {
	var zero T
	ck := Key(cred)
	noCache := ctx.Value(noCacheKey{}) != nil
	transient := ctx.Value(transientKey{}) != nil
	a, ok, gen := g.cached(ck, key)
	if ok && !noCache && g.now().Sub(a.at) < g.ttl {
		g.observeRead(ReadHit)
		return a.val().(T), nil
	}
	flightKey := fmt.Sprintf("%s|%d|%t|%t|%s", ck, gen, noCache, transient, key)
	ch := g.sf.DoChan(flightKey, func() (any, error) {
		if a, ok, _ := g.cached(ck, key); ok && !noCache && g.now().Sub(a.at) < g.ttl {
			return flight{val: a.val(), at: a.at, hit: true}, nil // filled while this flight waited to start
		}
		shared := context.WithoutCancel(ctx)
		if d, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			shared, cancel = context.WithDeadline(shared, d)
			defer cancel()
		}
		val, err := call(shared)
		at := g.now()
		if !transient {
			at = g.record(ck, key, gen, val, err)
		}
		if err != nil && !noCache && servesStale(err) {
			if a, ok, _ := g.cached(ck, key); ok {
				return flight{val: a.val(), at: a.at, stale: err}, nil
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
			g.observeRead(ReadError)
			return zero, r.Err
		}
		f := r.Val.(flight)
		switch {
		case f.stale != nil:
			g.observeRead(ReadStale)
			markStale(ctx, f.at, f.stale)
		case f.hit:
			g.observeRead(ReadHit)
		default:
			g.observeRead(ReadMiss)
		}
		return f.val.(T), nil
	}
}

// servesStale reports whether a failed read is answered with the last good
// answer: it was held back before it left (a budget, a block, a breaker),
// rate limited, or Cloudflare was unavailable. A refusal (401, 403, 404) is
// not: an old answer would hide it.
func servesStale(err error) bool {
	return errors.Is(err, apiclient.ErrHeld) || errors.Is(err, apiclient.ErrRateLimited) || errors.Is(err, apiclient.ErrUnavailable)
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

// state returns the credential's state, marked as used now. g.mu is held.
func (g *Guard) state(ck string) *credState {
	st := g.creds[ck]
	if st == nil {
		if len(g.creds) >= maxCreds {
			g.sweep()
		}
		st = &credState{answers: map[string]answer{}}
		g.creds[ck] = st
	}
	st.used = g.now()
	return st
}

// sweep forgets credentials idle for a whole window. g.mu is held.
func (g *Guard) sweep() {
	cut := g.now().Add(-g.window)
	for ck, st := range g.creds {
		if !st.used.After(cut) {
			delete(g.creds, ck)
		}
	}
}

// record keeps a read's answer, unless a cancel dropped the job's answers
// while it was under way: it may predate the cancel. It returns the answer's
// time.
func (g *Guard) record(ck, key string, gen int, val any, err error) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state(ck)
	now := g.now()
	if err == nil && gen == st.gen {
		st.answers[key] = answer{box: g.shared.share(key, val), at: now}
		if len(st.answers) > maxAnswersPerCred {
			oldest := key
			for k, a := range st.answers {
				if a.at.Before(st.answers[oldest].at) {
					oldest = k
				}
			}
			delete(st.answers, oldest)
		}
	}
	return now
}

// Known returns Cloudflare's last answer for the job under cred, of any
// age, and when it was fetched, without calling Cloudflare.
func (g *Guard) Known(cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, time.Time, bool) {
	a, ok, _ := g.cached(Key(cred), "get|"+accountID+"|"+jobID)
	if !ok {
		return nil, time.Time{}, false
	}
	return a.val().(*apiclient.Job), a.at, true
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

// CancelJob always goes to the client; the Transport sends it unless
// Cloudflare's block runs (it would be refused) or the whole budget is spent.
// Unless it was held back or refused for the rate limit (nothing changed, and
// the cached answers may be the only ones to be had for a while), the job's
// cached answers and its account's lists are dropped, so the next read shows
// the job as it is now; a successful answer becomes the job's cached answer.
func (g *Guard) CancelJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error) {
	ck := Key(cred)
	cancelled, err := g.next.CancelJob(ctx, cred, accountID, jobID)
	if errors.Is(err, apiclient.ErrHeld) || errors.Is(err, apiclient.ErrRateLimited) {
		return cancelled, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state(ck)
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
		st.answers["get"+job] = answer{box: &boxed{val: cancelled}, at: g.now()}
	}
	return cancelled, err
}
