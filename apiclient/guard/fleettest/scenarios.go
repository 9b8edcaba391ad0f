package fleettest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
)

// NewFleet gives one replica its way to the shared Fleet: the same
// MemFleet each time, or a new pool on one PostgreSQL database, as another
// process has.
type NewFleet func() guard.Fleet

// Result is what Cloudflare was asked during a scenario.
type Result struct{ Lists, Gets int }

// Reads is every upstream read.
func (r Result) Reads() int { return r.Lists + r.Gets }

// jobs is how many running jobs the scenarios watch; with 5 per page, 15
// of them are beyond the page and cost a read each per interval.
const jobs = 20

// fleet starts n replicas (on newFleet, or none when nil).
func fleet(t testing.TB, n int, newFleet NewFleet) (*Rig, []*Replica) {
	g := NewRig(t, jobs)
	reps := make([]*Replica, n)
	for i := range reps {
		var f guard.Fleet
		if newFleet != nil {
			f = newFleet()
		}
		reps[i] = g.Add(fmt.Sprintf("replica-%d", i+1), f)
	}
	return g, reps
}

// poll is one poll of every tab, as a round-robin load balancer spreads
// them: on each replica given a list tab (with its live cards) and the job
// pages of every n-th job, a different share each time. It fails on any
// error in a snapshot other than ErrNoFreshSnapshot, and reports whether
// that one was seen.
func poll(g *Rig, reps []*Replica) (marked bool) {
	g.T.Helper()
	page := make([]string, g.PerPage)
	for i := range page {
		page[i] = ID(i)
	}
	check := func(p *Replica, s *guard.Snapshot, err error) {
		switch {
		case err == nil:
		case errors.Is(err, guard.ErrNoFreshSnapshot):
			marked = true
		default:
			g.T.Fatalf("%s: the snapshot says %v; an older answer at most is allowed", p.Name, err)
		}
	}
	g.polls++
	for i, p := range reps {
		s := p.Watch(page...)
		check(p, s, s.Err)
		for j := (i + g.polls) % len(reps); j < jobs; j += len(reps) {
			s := p.Watch(ID(j))
			e, ok := s.Entry(ID(j))
			if !ok {
				g.T.Fatalf("%s: the snapshot lacks %s", p.Name, ID(j))
			}
			check(p, s, e.Err)
		}
	}
	return marked
}

// Cost runs 12 intervals of tabs on n replicas (of a Fleet, or each on its
// own when newFleet is nil), the jobs moving on every third, and returns
// what Cloudflare was asked. With a Fleet every replica then shows the
// leader's versions.
func Cost(t testing.TB, n int, newFleet NewFleet) Result {
	g, reps := fleet(t, n, newFleet)
	poll(g, reps)
	for k := 1; k <= 12; k++ {
		if k%3 == 0 {
			g.API.Progress()
		}
		g.StepInterval()
		poll(g, reps)
	}
	var r Result
	r.Lists, r.Gets = g.API.Calls()
	if newFleet != nil {
		SameVersions(g, reps)
	}
	return r
}

// SameVersions checks that every replica shows the first one's snapshot
// and job versions, so that a tab's validator means the same everywhere.
func SameVersions(g *Rig, reps []*Replica) {
	g.T.Helper()
	Eventually(g.T, "versions on every replica", func() error {
		want := reps[0].Watch()
		for _, p := range reps[1:] {
			s := p.Watch()
			if s.Version != want.Version || len(s.Jobs) != len(want.Jobs) {
				return fmt.Errorf("%s: version %d with %d jobs, %s: version %d with %d jobs",
					p.Name, s.Version, len(s.Jobs), reps[0].Name, want.Version, len(want.Jobs))
			}
			for id, e := range want.Jobs {
				if s.Jobs[id].Version != e.Version {
					return fmt.Errorf("%s: %s at version %d, %s has %d", p.Name, id, s.Jobs[id].Version, reps[0].Name, e.Version)
				}
			}
		}
		return nil
	})
}

// status checks what a replica's next answer shows for a job.
func status(p *Replica, id string, want apiclient.JobStatus, version uint64) error {
	e, _ := p.Watch(id).Entry(id)
	if e.Job == nil || e.Job.Status != want || version != 0 && e.Version != version {
		return fmt.Errorf("%s shows %s as %+v (version %d), want %s at version %d", p.Name, id, e.Job, e.Version, want, version)
	}
	return nil
}

// PutEverywhere: a cancel's answer put on a follower is what every
// replica's next answer shows (sync: the very next one; else as soon as
// the notification comes), with the follower's version; and the leader's
// reads after it never show the job running again.
func PutEverywhere(t testing.TB, newFleet NewFleet, sync bool) {
	g, reps := fleet(t, 3, newFleet)
	poll(g, reps)
	g.StepInterval()
	poll(g, reps)
	job := ID(7) // beyond the page, watched on replica-2
	g.API.Set(job, apiclient.StatusCancelled)
	v := reps[1].R.Put(g.Cred, g.Account, &apiclient.Job{ID: job, Status: apiclient.StatusCancelled})
	if v == 0 {
		t.Fatalf("Put on a follower returned version 0")
	}
	for _, p := range reps {
		if n := Eventually(t, "the cancel on "+p.Name, func() error { return status(p, job, apiclient.StatusCancelled, v) }); sync && n > 1 {
			t.Errorf("%s showed the cancel only on answer %d", p.Name, n)
		}
	}
	for range 8 {
		g.Step(g.Interval / 4)
		for _, p := range reps {
			if err := status(p, job, apiclient.StatusCancelled, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// PutDuringRead: a cancel's answer put on a follower while the leader's
// read (made before the cancel) is under way is not undone by that read.
func PutDuringRead(t testing.TB, newFleet NewFleet) {
	g, reps := fleet(t, 3, newFleet)
	poll(g, reps)
	started, release := g.API.Hold()
	g.Clock.Advance(g.Interval)
	done := make(chan *guard.Snapshot)
	go func() {
		s, _ := reps[0].R.Watch(context.Background(), g.Cred, g.Account, ID(1))
		done <- s
	}()
	<-started // the leader has Cloudflare's answer from before the cancel
	g.API.Set(ID(1), apiclient.StatusCancelled)
	v := reps[1].R.Put(g.Cred, g.Account, &apiclient.Job{ID: ID(1), Status: apiclient.StatusCancelled})
	release()
	s := <-done
	if e, _ := s.Entry(ID(1)); e.Job == nil || e.Job.Status != apiclient.StatusCancelled {
		t.Errorf("the leader's read from before the cancel shows %s as %+v", ID(1), e.Job)
	}
	for _, p := range reps {
		Eventually(t, "the cancel on "+p.Name, func() error { return status(p, ID(1), apiclient.StatusCancelled, v) })
	}
}
