// Package fleettest has what the tests of a guard.Fleet need: a Fleet in
// memory, a paged fake of Cloudflare, replicas stepped on a fake clock, and
// the scenarios that every Fleet (in memory, on PostgreSQL) must pass.
package fleettest

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/respond/bulkjobs/apiclient/guard"
)

// MemFleet is a guard.Fleet in memory, as the store's is in PostgreSQL:
// leases, snapshots under one growing sequence, watches, and listeners
// told of every write (here at once, before Publish returns).
type MemFleet struct {
	mu        sync.Mutex
	leases    map[fkey]memLease
	snaps     map[fkey]memSnap
	watches   map[fkey]map[string]time.Time
	seq       uint64
	listeners map[int]func(cred, account string, seq uint64)
	nextID    int
	calls     map[string]int // by method
}

type fkey struct{ cred, account string }

type memLease struct {
	holder string
	until  time.Time
}

type memSnap struct {
	seq  uint64
	data []byte
	at   time.Time
}

func NewMemFleet() *MemFleet {
	return &MemFleet{leases: map[fkey]memLease{}, snaps: map[fkey]memSnap{}, watches: map[fkey]map[string]time.Time{},
		listeners: map[int]func(string, string, uint64){}, calls: map[string]int{}}
}

func (m *MemFleet) Lead(_ context.Context, cred, account, holder string, now, until time.Time) (bool, uint64, error) {
	m.mu.Lock()
	m.calls["Lead"]++
	defer m.mu.Unlock()
	k := fkey{cred, account}
	l, ok := m.leases[k]
	lead := !ok || l.holder == holder || !l.until.After(now)
	if lead {
		m.leases[k] = memLease{holder: holder, until: until}
	}
	return lead, m.snaps[k].seq, nil
}

func (m *MemFleet) Release(_ context.Context, cred, account, holder string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.leases[fkey{cred, account}].holder == holder {
		delete(m.leases, fkey{cred, account})
	}
	return nil
}

func (m *MemFleet) Load(_ context.Context, cred, account string, after uint64) (uint64, []byte, error) {
	m.mu.Lock()
	m.calls["Load"]++
	defer m.mu.Unlock()
	s := m.snaps[fkey{cred, account}]
	if s.seq > after {
		return s.seq, append([]byte(nil), s.data...), nil
	}
	return s.seq, nil, nil
}

func (m *MemFleet) Publish(_ context.Context, cred, account string, base uint64, data []byte, now time.Time) (uint64, bool, error) {
	m.mu.Lock()
	m.calls["Publish"]++
	k := fkey{cred, account}
	if m.snaps[k].seq != base {
		m.mu.Unlock()
		return 0, false, nil
	}
	m.seq++
	seq := m.seq
	m.snaps[k] = memSnap{seq: seq, data: append([]byte(nil), data...), at: now}
	tell := m.tell()
	m.mu.Unlock()
	tell(cred, account, seq)
	return seq, true, nil
}

// Calls returns how many times each method was called.
func (m *MemFleet) Calls() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.calls))
	for k, v := range m.calls {
		out[k] = v
	}
	return out
}

// tell returns a function that calls every listener. m.mu is held.
func (m *MemFleet) tell() func(cred, account string, seq uint64) {
	fns := make([]func(string, string, uint64), 0, len(m.listeners))
	for _, fn := range m.listeners {
		fns = append(fns, fn)
	}
	return func(cred, account string, seq uint64) {
		for _, fn := range fns {
			fn(cred, account, seq)
		}
	}
}

func (m *MemFleet) Watch(_ context.Context, cred, account string, jobs []string, until time.Time) error {
	m.mu.Lock()
	m.calls["Watch"]++
	defer m.mu.Unlock()
	k := fkey{cred, account}
	if m.watches[k] == nil {
		m.watches[k] = map[string]time.Time{}
	}
	for _, j := range jobs {
		if until.After(m.watches[k][j]) {
			m.watches[k][j] = until
		}
	}
	return nil
}

func (m *MemFleet) Watched(_ context.Context, cred, account string, now time.Time) ([]string, error) {
	m.mu.Lock()
	m.calls["Watched"]++
	defer m.mu.Unlock()
	var out []string
	for j, until := range m.watches[fkey{cred, account}] {
		if until.After(now) {
			out = append(out, j)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *MemFleet) Forget(_ context.Context, cred string) error {
	m.mu.Lock()
	var gone []string
	for k := range m.snaps {
		if k.cred == cred {
			gone = append(gone, k.account)
			delete(m.snaps, k)
		}
	}
	for k := range m.leases {
		if k.cred == cred {
			delete(m.leases, k)
		}
	}
	for k := range m.watches {
		if k.cred == cred {
			delete(m.watches, k)
		}
	}
	tell := m.tell()
	m.mu.Unlock()
	for _, a := range gone {
		tell(cred, a, 0)
	}
	return nil
}

func (m *MemFleet) Prune(_ context.Context, now, idleBefore time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, l := range m.leases {
		if !l.until.After(now) {
			delete(m.leases, k)
		}
	}
	for k, s := range m.snaps {
		if s.at.Before(idleBefore) {
			delete(m.snaps, k)
		}
	}
	return nil
}

func (m *MemFleet) Listen(ctx context.Context, ready func(), changed func(cred, account string, seq uint64)) error {
	m.mu.Lock()
	id := m.nextID
	m.nextID++
	m.listeners[id] = changed
	m.mu.Unlock()
	ready()
	<-ctx.Done()
	m.mu.Lock()
	delete(m.listeners, id)
	m.mu.Unlock()
	return ctx.Err()
}

// ErrDown is what a Switch answers while cut off.
var ErrDown = errors.New("fleet: connection refused")

// Switch is one replica's way to a Fleet that can be cut off, as a
// killed process or an unreachable database is: every call fails then.
type Switch struct {
	inner guard.Fleet
	down  atomic.Bool
}

// NewSwitch wraps inner, reachable.
func NewSwitch(inner guard.Fleet) *Switch { return &Switch{inner: inner} }

// SetDown cuts the replica off (true) or reconnects it.
func (s *Switch) SetDown(down bool) { s.down.Store(down) }

func (s *Switch) err() error {
	if s.down.Load() {
		return ErrDown
	}
	return nil
}

func (s *Switch) Lead(ctx context.Context, cred, account, holder string, now, until time.Time) (bool, uint64, error) {
	if err := s.err(); err != nil {
		return false, 0, err
	}
	return s.inner.Lead(ctx, cred, account, holder, now, until)
}

func (s *Switch) Release(ctx context.Context, cred, account, holder string) error {
	if err := s.err(); err != nil {
		return err
	}
	return s.inner.Release(ctx, cred, account, holder)
}

func (s *Switch) Load(ctx context.Context, cred, account string, after uint64) (uint64, []byte, error) {
	if err := s.err(); err != nil {
		return 0, nil, err
	}
	return s.inner.Load(ctx, cred, account, after)
}

func (s *Switch) Publish(ctx context.Context, cred, account string, base uint64, data []byte, now time.Time) (uint64, bool, error) {
	if err := s.err(); err != nil {
		return 0, false, err
	}
	return s.inner.Publish(ctx, cred, account, base, data, now)
}

func (s *Switch) Watch(ctx context.Context, cred, account string, jobs []string, until time.Time) error {
	if err := s.err(); err != nil {
		return err
	}
	return s.inner.Watch(ctx, cred, account, jobs, until)
}

func (s *Switch) Watched(ctx context.Context, cred, account string, now time.Time) ([]string, error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	return s.inner.Watched(ctx, cred, account, now)
}

func (s *Switch) Forget(ctx context.Context, cred string) error {
	if err := s.err(); err != nil {
		return err
	}
	return s.inner.Forget(ctx, cred)
}

func (s *Switch) Prune(ctx context.Context, now, idleBefore time.Time) error {
	if err := s.err(); err != nil {
		return err
	}
	return s.inner.Prune(ctx, now, idleBefore)
}

// Listen passes changes on only while the replica is reachable.
func (s *Switch) Listen(ctx context.Context, ready func(), changed func(cred, account string, seq uint64)) error {
	return s.inner.Listen(ctx, ready, func(cred, account string, seq uint64) {
		if !s.down.Load() {
			changed(cred, account, seq)
		}
	})
}
