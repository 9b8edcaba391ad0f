package loginlimit

import (
	"sync"
	"time"
)

// maxKeys bounds the limiter's memory. When a spray of addresses, emails or
// device cookies fills it, expired entries are dropped; if it is still full,
// a tenth of the keys with no check in progress, chosen at random, are
// forgotten. That lets a huge spray forget some of its own counts, but never
// locks out analysts who have no entry.
const maxKeys = 100_000

// inFlightWait is the wait given when only checks in progress reach a limit:
// they end within moments.
const inFlightWait = time.Second

// Memory is a Limiter kept in this process's memory. With several replicas
// each one counts on its own.
//
// A key is over its limit when its failures within the window reach the
// limit, or when it has at least one failure and its failures plus its
// checks in progress reach it. Checks in progress count only once a key has
// failed: until then nothing suggests guessing, and correct logins that
// arrive together (a team behind one proxy at the start of an incident) must
// never be refused. So guesses can pass a limit only by as many as there are
// password-hashing slots, all started before the first of them failed.
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

// Check implements Limiter.
func (m *Memory) Check(a Attempt) Verdict {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, _ := m.decide(a)
	return v
}

// Start implements Limiter.
func (m *Memory) Start(a Attempt) (Verdict, func(failed bool)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, keys := m.decide(a)
	if v.Wait > 0 {
		return v, nil
	}
	m.makeRoom(len(keys))
	for _, k := range keys {
		m.entry(k).inflight++
	}
	var once sync.Once
	return v, func(failed bool) { once.Do(func() { m.finish(keys, failed) }) }
}

// decide returns the verdict for a and the keys it is counted against: its
// device cookie's alone while that is within its limit, else the account's
// and the address's.
func (m *Memory) decide(a Attempt) (Verdict, []string) {
	if a.Device != "" {
		dk := DeviceKey(a.Device)
		if m.wait(dk, m.o.PerDevice) == 0 {
			return Verdict{Trusted: true}, []string{dk}
		}
	}
	ek, ak := AccountKey(a.Email), AddrKey(a.Addr)
	return Verdict{Wait: max(m.wait(ek, m.o.PerAccount), m.wait(ak, m.o.PerAddr))}, []string{ek, ak}
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

// wait returns how long key must wait, 0 when it may try.
func (m *Memory) wait(key string, limit int) time.Duration {
	e := m.prune(key)
	switch {
	case e == nil || len(e.fails) == 0:
		return 0
	case len(e.fails) >= limit:
		return e.fails[len(e.fails)-limit].Add(m.o.Window).Sub(m.o.Now())
	case len(e.fails)+e.inflight >= limit:
		return inFlightWait
	}
	return 0
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
