package loginlimit

import (
	"context"
	"sync"
	"time"
)

// maxKeys bounds the limiter's memory. When a spray of addresses, emails or
// device cookies fills it, expired entries are dropped; if it is still full,
// a tenth of the keys with no check in progress, chosen at random, are
// forgotten. That lets a huge spray forget some of its own counts, but never
// locks out analysts who have no entry.
const maxKeys = 100_000

// Memory is a Limiter kept in this process's memory. With several replicas
// each one counts on its own; Shared counts the failures of all of them.
// Both decide by the rule of decide and waitFor.
type Memory struct {
	mu   sync.Mutex
	o    Options
	keys map[string]*entry
}

// entry is what is known about one key.
type entry struct {
	fails    []time.Time // within the window, oldest first
	inflight int         // checks started and not yet finished
}

// New returns an in-memory limiter.
func New(o Options) *Memory {
	return &Memory{o: o.withDefaults(), keys: map[string]*entry{}}
}

// Check implements Limiter. It never fails.
func (m *Memory) Check(_ context.Context, a Attempt) (Verdict, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, _ := decide(m.o, a, m.wait)
	return v, nil
}

// Start implements Limiter. It never fails.
func (m *Memory) Start(_ context.Context, a Attempt) (Verdict, func(failed bool), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, keys := decide(m.o, a, m.wait)
	if v.Wait > 0 {
		return v, nil, nil
	}
	m.makeRoom(len(keys))
	for _, k := range keys {
		m.entry(k).inflight++
	}
	var once sync.Once
	return v, func(failed bool) { once.Do(func() { m.finish(keys, failed) }) }, nil
}

// finish ends a check on keys and records a failure when it failed.
func (m *Memory) finish(keys []string, failed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.o.Now()
	for _, k := range keys {
		e := m.keys[k]
		switch {
		case e != nil && e.inflight > 0:
			e.inflight--
		case e == nil && !failed:
			continue
		case e == nil: // forgotten by makeRoom while the check ran
			m.makeRoom(1)
			e = m.entry(k)
		}
		if failed {
			e.fails = append(e.fails, now)
		}
		m.prune(k)
	}
}

// wait returns how long key must wait, 0 when it may try. m.mu is held.
func (m *Memory) wait(key string, limit int) time.Duration {
	e := m.prune(key)
	if e == nil {
		return 0
	}
	return waitFor(e.fails, e.inflight, limit, m.o.Now(), m.o.Window)
}

// entry returns key's entry, creating it.
func (m *Memory) entry(key string) *entry {
	e := m.keys[key]
	if e == nil {
		e = &entry{}
		m.keys[key] = e
	}
	return e
}

// prune drops failures older than the window and forgets a key with nothing
// left. It returns the key's entry, or nil.
func (m *Memory) prune(key string) *entry {
	e := m.keys[key]
	if e == nil {
		return nil
	}
	cut := m.o.Now().Add(-m.o.Window)
	i := 0
	for i < len(e.fails) && !e.fails[i].After(cut) {
		i++
	}
	e.fails = e.fails[i:]
	if len(e.fails) == 0 && e.inflight == 0 {
		delete(m.keys, key)
		return nil
	}
	return e
}

// makeRoom keeps the map within maxKeys when n keys are about to be added.
func (m *Memory) makeRoom(n int) {
	if len(m.keys)+n <= maxKeys {
		return
	}
	for k := range m.keys {
		m.prune(k)
	}
	for k, e := range m.keys { // map order is random
		if len(m.keys)+n <= maxKeys*9/10 {
			break
		}
		if e.inflight == 0 {
			delete(m.keys, k)
		}
	}
}
