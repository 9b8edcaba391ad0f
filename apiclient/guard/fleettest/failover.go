package fleettest

import (
	"context"
	"fmt"
	"testing"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// Takeover: the leader stops, as a deploy stops it (kill false: it hands
// its lease over) or as SIGKILL does (kill true: its lease runs out). The
// tabs, now on the other replicas, never see an error; killed, they see the
// data marked as older for a while, handed over they do not; another
// replica leads within the lease's length and an interval, and Cloudflare
// is never read by two.
func Takeover(t testing.TB, newFleet NewFleet, kill bool) {
	g, reps := fleet(t, 3, newFleet)
	poll(g, reps)
	g.StepInterval()
	poll(g, reps)
	if reps[0].Role() != "leader" {
		t.Fatalf("replica-1 is %q, want the leader", reps[0].Role())
	}
	if kill {
		reps[0].Kill()
	} else {
		reps[0].Close()
	}
	alive := reps[1:]
	before, _ := g.API.Calls()
	marked := false
	const intervals = 8
	for k := 1; k <= intervals; k++ {
		g.API.Progress()
		for range 4 {
			g.Step(g.Interval / 4)
			if poll(g, alive) {
				marked = true
			}
		}
	}
	last := alive[0].Watch()
	lists, _ := g.API.Calls()
	leaders := 0
	for _, p := range alive {
		if p.Role() == "leader" {
			leaders++
		}
	}
	switch {
	case leaders != 1:
		t.Errorf("%d replicas lead after the leader stopped, want 1", leaders)
	case lists-before > intervals:
		t.Errorf("%d list reads in %d intervals after the leader stopped: two replicas read", lists-before, intervals)
	case last.Err != nil || g.Clock.Now().Sub(last.Tried) >= g.Interval:
		t.Errorf("at the end the data is from %v (now %v), marked %v; want read within the interval", last.Tried, g.Clock.Now(), last.Err)
	case kill && !marked:
		t.Errorf("while no replica led, the data was never marked as older")
	case !kill && marked:
		t.Errorf("the leader handed its lease over, yet the data was marked as older")
	}
	SameVersions(g, alive)
}

// Unreachable: while the database does not answer, each replica reads
// Cloudflare itself, and its tabs see no error; once it answers again the
// replicas share the feed again.
func Unreachable(t testing.TB, newFleet NewFleet) {
	g, reps := fleet(t, 3, newFleet)
	poll(g, reps)
	g.StepInterval()
	poll(g, reps)
	// A cancel's answer put just before: the others are told of a newer
	// snapshot they cannot load; they must not spin trying.
	g.API.Set(ID(3), apiclient.StatusCancelled)
	reps[1].R.Put(g.Cred, g.Account, &apiclient.Job{ID: ID(3), Status: apiclient.StatusCancelled})
	for _, p := range reps {
		p.Fleet.SetDown(true)
	}
	l0, _ := g.API.Calls()
	for range 3 {
		g.StepInterval()
		poll(g, reps)
	}
	l1, _ := g.API.Calls()
	if l1-l0 < 2*3 {
		t.Errorf("%d list reads in 3 intervals without the database, want each replica to read (9)", l1-l0)
	}
	for _, p := range reps {
		p.Fleet.SetDown(false)
	}
	g.StepInterval() // the replicas find the lease again
	poll(g, reps)
	l2, _ := g.API.Calls()
	for range 4 {
		g.StepInterval()
		poll(g, reps)
	}
	if l3, _ := g.API.Calls(); l3-l2 > 4+1 {
		t.Errorf("%d list reads in 4 intervals with the database back, want one replica to read (4)", l3-l2)
	}
	SameVersions(g, reps)
}

// ForgetEverywhere: a credential deleted on one replica stops its feeds on
// every replica and leaves no shared row of it.
func ForgetEverywhere(t testing.TB, newFleet NewFleet) {
	g, reps := fleet(t, 3, newFleet)
	poll(g, reps)
	g.StepInterval()
	poll(g, reps)
	reps[2].R.Forget(g.Cred)
	for _, p := range reps {
		Eventually(t, "feeds stopped on "+p.Name, func() error {
			if n := p.R.Feeds(); n != 0 {
				return fmt.Errorf("%d feeds still run", n)
			}
			return nil
		})
	}
	f := newFleet()
	ctx := context.Background()
	key := guard.Key(g.Cred)
	if seq, data, err := f.Load(ctx, key, g.Account, 0); err != nil || seq != 0 || data != nil {
		t.Errorf("Load after Forget = %d, %d bytes, %v; want nothing", seq, len(data), err)
	}
	if jobs, err := f.Watched(ctx, key, g.Account, g.Clock.Now()); err != nil || len(jobs) != 0 {
		t.Errorf("Watched after Forget = %v, %v; want none", jobs, err)
	}
}
