package fleettest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// Clock is a fake clock shared by every replica of a Rig.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Rig is a fleet of Refreshers (replicas) on one fake clock, reading one
// PagedAPI with one credential; each replica's feed sleeps until the Rig
// steps it, so nothing depends on real time.
type Rig struct {
	T        testing.TB
	Clock    *Clock
	API      *PagedAPI
	Cred     apiclient.Credential
	Account  string
	Interval time.Duration
	PerPage  int
	replicas []*Replica
	polls    int
}

// Replica is one Refresher of a Rig.
type Replica struct {
	Name    string
	R       *guard.Refresher
	Fleet   *Switch // nil: no Fleet
	rig     *Rig
	tick    chan struct{}
	entered chan struct{}
	closed  bool
}

// NewRig makes a Rig with jobs running jobs, 5 per page, a 5 s interval.
func NewRig(t testing.TB, jobs int) *Rig {
	return &Rig{T: t, Clock: &Clock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}, API: NewPagedAPI(jobs),
		Cred: apiclient.Credential{APIToken: "token-of-the-fleet-test"}, Account: "acct", Interval: 5 * time.Second, PerPage: 5}
}

// Add starts a replica on fleet (nil: none); it is closed with the test.
func (g *Rig) Add(name string, fleet guard.Fleet) *Replica {
	p := &Replica{Name: name, rig: g, tick: make(chan struct{}), entered: make(chan struct{})}
	o := guard.RefresherOptions{Interval: g.Interval, PerPage: g.PerPage, Now: g.Clock.Now, Holder: name,
		Sleep: func(ctx context.Context, _ time.Duration) error {
			select {
			case p.entered <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case <-p.tick:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}}
	if fleet != nil {
		p.Fleet = NewSwitch(fleet)
		o.Fleet = p.Fleet
	}
	p.R = guard.NewRefresher(g.API, o)
	g.T.Cleanup(p.R.Close)
	g.replicas = append(g.replicas, p)
	return p
}

// Watch is a tab of the replica polling the account (and the jobs named),
// as the pages do. An error fails the test: whatever the fleet does, an
// analyst must not see one.
func (p *Replica) Watch(jobIDs ...string) *guard.Snapshot {
	p.rig.T.Helper()
	starts := p.R.Feeds() == 0
	s, err := p.R.Watch(context.Background(), p.rig.Cred, p.rig.Account, jobIDs...)
	if err != nil || s == nil {
		p.rig.T.Fatalf("%s: Watch(%v) = %v, %v; want a snapshot and no error", p.Name, jobIDs, s, err)
	}
	if starts {
		p.wait()
	}
	return s
}

// wait waits until the replica's feed sleeps.
func (p *Replica) wait() {
	p.rig.T.Helper()
	select {
	case <-p.entered:
	case <-time.After(20 * time.Second): // a hang, not a timing: fail rather than block the suite
		p.rig.T.Fatalf("%s: the feed never went back to sleep", p.Name)
	}
}

// Close stops the replica as a deploy does: its leases go to the others.
func (p *Replica) Close() {
	p.closed = true
	p.R.Close()
}

// Kill stops the replica as SIGKILL does: it says nothing to the Fleet.
func (p *Replica) Kill() {
	p.Fleet.SetDown(true)
	p.Close()
}

// Role is the replica's role in the account's feed, "" without one.
func (p *Replica) Role() string {
	for _, s := range p.R.FeedStats() {
		if s.Account == p.rig.Account {
			return s.Role
		}
	}
	return ""
}

// Step moves the clock on by d and lets every replica's feed, in the order
// they were added, do what is due and sleep again.
func (g *Rig) Step(d time.Duration) {
	g.T.Helper()
	g.Clock.Advance(d)
	for _, p := range g.replicas {
		if p.closed || p.R.Feeds() == 0 {
			continue
		}
		select {
		case p.tick <- struct{}{}:
		case <-time.After(20 * time.Second):
			g.T.Fatalf("%s: the feed does not sleep", p.Name)
		}
		p.wait()
	}
}

// Interval steps through one interval, a quarter at a time.
func (g *Rig) StepInterval() {
	g.T.Helper()
	for range 4 {
		g.Step(g.Interval / 4)
	}
}

// Eventually calls cond until it holds, and reports how many calls that
// took. A Fleet that tells its listeners before Publish returns (MemFleet)
// takes one; PostgreSQL's notifications take a moment. It gives up after
// 10 s of real time: a bound on a hang, not a timed assertion.
func Eventually(t testing.TB, what string, cond func() error) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n := 1; ; n++ {
		err := cond()
		if err == nil {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
