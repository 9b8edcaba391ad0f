package loginlimit

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// FailureStore keeps failed password checks where every replica reads them.
// *store.Postgres satisfies it; this package does not import the store.
type FailureStore interface {
	// LoginFailures returns, for each of keys that has any, the times of
	// its newest perKey failures after since, oldest first.
	LoginFailures(ctx context.Context, since time.Time, perKey int, keys []string) (map[string][]time.Time, error)
	// RecordLoginFailure records one failure at at against each of keys.
	RecordLoginFailure(ctx context.Context, at time.Time, keys []string) error
	// PruneLoginFailures deletes the failures at or before before.
	PruneLoginFailures(ctx context.Context, before time.Time) error
}

// Shared is a Limiter for several replicas: the failures are kept in a
// FailureStore, so a failure on one replica counts on every other, while
// the checks in progress are counted in this process (a replica that dies
// takes its own with it). It decides by Memory's rule (decide, waitFor), so
// guesses can pass a limit only by the password-hashing slots of the
// replicas, all started before the first of them failed.
//
// When the store cannot be read, Check and Start return the error and the
// attempt is refused: an unchecked limit would let guesses through. A
// failure the store cannot record is counted in this process for the
// window instead, so that a database that reads but does not write (full,
// or read-only during a failover) cannot be used to guess without limit.
type Shared struct {
	o      Options
	fs     FailureStore
	perKey int

	mu        sync.Mutex
	inflight  map[string]int         // checks started and not yet finished, by key
	failed    uint64                 // checks of this process that failed, ever; see decide
	unsaved   map[string][]time.Time // failures the store could not record, oldest first
	lastPrune time.Time
}

// storeTimeout bounds each call to the store: a read of the failures (it
// runs while the attempt holds a password-hashing slot, so a hanging
// database must not pin the slots), the recording of one failure and a
// prune. The last two run without the request's cancellation: a client
// that goes away right after a wrong guess must not take the failure with
// it.
const storeTimeout = 5 * time.Second

// NewShared returns a limiter whose failures fs keeps.
func NewShared(fs FailureStore, o Options) *Shared {
	o = o.withDefaults()
	return &Shared{o: o, fs: fs, perKey: max(o.PerAccount, o.PerAddr, o.PerDevice),
		inflight: map[string]int{}, unsaved: map[string][]time.Time{}}
}

// Check implements Limiter.
func (s *Shared) Check(ctx context.Context, a Attempt) (Verdict, error) {
	v, _, err := s.decide(ctx, a, false)
	return v, err
}

// Start implements Limiter.
func (s *Shared) Start(ctx context.Context, a Attempt) (Verdict, func(failed bool), error) {
	v, keys, err := s.decide(ctx, a, true)
	if err != nil || v.Wait > 0 {
		return v, nil, err
	}
	rctx := context.WithoutCancel(ctx)
	var once sync.Once
	return v, func(failed bool) { once.Do(func() { s.finish(rctx, keys, failed) }) }, nil
}

// decide reads a's failures from the store, then decides under the lock
// with this process's checks in progress and unsaved failures. When start is
// set and a may go, it marks the check in progress on the keys it counts
// against.
func (s *Shared) decide(ctx context.Context, a Attempt, start bool) (Verdict, []string, error) {
	now := s.o.Now()
	since := now.Add(-s.o.Window)
	keys := []string{AccountKey(a.Email), AddrKey(a.Addr)}
	if a.Device != "" {
		keys = append(keys, DeviceKey(a.Device))
	}
	// A check of this process that fails while the store is read is in
	// neither what was read nor, by the time the lock is taken, in the
	// checks in progress: the read is made again, so it is never missed.
	var stored map[string][]time.Time
	for try := 0; ; try++ {
		s.mu.Lock()
		seen := s.failed
		s.mu.Unlock()
		rctx, cancel := context.WithTimeout(ctx, storeTimeout)
		var err error
		stored, err = s.fs.LoginFailures(rctx, since, s.perKey, keys)
		cancel()
		if err != nil {
			return Verdict{}, nil, fmt.Errorf("read the login limits: %w", err)
		}
		s.mu.Lock()
		if s.failed == seen {
			break // s.mu stays held for the decision
		}
		s.mu.Unlock()
		if try == 2 {
			// Failures keep arriving on this process: wait a moment
			// rather than decide on a read that may lack one.
			return Verdict{Wait: time.Second}, nil, nil
		}
	}
	defer s.mu.Unlock()
	v, counted := decide(s.o, a, func(key string, limit int) time.Duration {
		return waitFor(s.failures(key, stored[key], since), s.inflight[key], limit, now, s.o.Window)
	})
	if start && v.Wait == 0 {
		for _, k := range counted {
			s.inflight[k]++
		}
	}
	return v, counted, nil
}

// failures merges stored with key's unsaved failures after since, oldest
// first. s.mu is held.
func (s *Shared) failures(key string, stored []time.Time, since time.Time) []time.Time {
	local := s.unsaved[key]
	if len(local) == 0 {
		return stored
	}
	merged := slices.Clone(stored)
	for _, t := range local {
		if t.After(since) {
			merged = append(merged, t)
		}
	}
	slices.SortFunc(merged, time.Time.Compare)
	return merged
}

// finish ends a check on keys, recording a failure when it failed. The
// failure is written before the check stops counting as in progress, so a
// concurrent decision sees it as one or the other (or briefly both, which
// only errs on the side of a wait), never neither: a decision whose read of
// the store began before the failure was recorded reads again (decide).
func (s *Shared) finish(ctx context.Context, keys []string, failed bool) {
	now := s.o.Now()
	var err error
	if failed {
		rctx, cancel := context.WithTimeout(ctx, storeTimeout)
		err = s.fs.RecordLoginFailure(rctx, now, keys)
		cancel()
	}
	s.mu.Lock()
	if failed {
		s.failed++
	}
	for _, k := range keys {
		if s.inflight[k]--; s.inflight[k] <= 0 {
			delete(s.inflight, k)
		}
	}
	if err != nil {
		s.keepUnsaved(keys, now)
	}
	prune := failed && err == nil && now.Sub(s.lastPrune) >= s.o.Window
	if prune {
		s.lastPrune = now
	}
	s.mu.Unlock()
	if prune {
		rctx, cancel := context.WithTimeout(ctx, storeTimeout)
		defer cancel()
		if s.fs.PruneLoginFailures(rctx, now.Add(-s.o.Window)) != nil {
			s.mu.Lock()
			s.lastPrune = time.Time{} // the next failure tries again
			s.mu.Unlock()
		}
	}
}

// keepUnsaved counts a failure the store could not record against keys in
// this process, dropping what the window has passed. Like Memory it holds
// at most maxKeys keys; a key beyond them is not kept. s.mu is held.
func (s *Shared) keepUnsaved(keys []string, now time.Time) {
	cut := now.Add(-s.o.Window)
	for k, ts := range s.unsaved {
		i := 0
		for i < len(ts) && !ts[i].After(cut) {
			i++
		}
		if i == len(ts) {
			delete(s.unsaved, k)
		} else {
			s.unsaved[k] = ts[i:]
		}
	}
	for _, k := range keys {
		if _, ok := s.unsaved[k]; ok || len(s.unsaved) < maxKeys {
			s.unsaved[k] = append(s.unsaved[k], now)
		}
	}
}
