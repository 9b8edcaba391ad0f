package cfsim

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDemoConfig(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 7, 8, 12, 0, 0, 0, time.UTC)
	cfg := DemoConfig(now)
	clock := NewFakeClock(now)
	cfg.Clock = clock
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New(DemoConfig) error = %v", err)
	}
	for _, tok := range []string{DemoReadToken, DemoWriteToken} {
		if len(tok) != 40 {
			t.Errorf("demo token %q has %d characters, want 40", tok, len(tok))
		}
	}
	ts := &tsim{t: t, s: s, clock: clock, read: DemoReadToken}
	statuses := map[string]map[string]int{}
	for _, a := range []string{DemoAccountID, DemoSecondAccountID} {
		statuses[a] = map[string]int{}
		code, env := ts.as(DemoReadToken, "GET", jobsPath(a)+"?per_page=1000", "")
		if code != 200 {
			t.Fatalf("demo list %s = %d", a, code)
		}
		for _, j := range decodeInto[[]tJob](t, env.Result) {
			statuses[a][j.Status]++
			st, _ := s.Job(a, j.JobID)
			if got, want := statusCounts(ts.allMessages(a, j.JobID)), stateCounts(st); !cmp.Equal(got, want) {
				t.Errorf("demo job %s rows per status = %v, want %v", j.JobID, got, want)
			}
		}
	}
	for _, st := range Statuses {
		if statuses[DemoAccountID][st] == 0 {
			t.Errorf("demo account has no %s job: %v", st, statuses[DemoAccountID])
		}
	}
	if len(statuses[DemoSecondAccountID]) == 0 {
		t.Error("second demo account has no jobs")
	}
	// Running jobs keep moving for several minutes, then all end.
	clock.Advance(3 * time.Minute)
	running := 0
	for _, j := range cfg.Jobs {
		if st, _ := s.Job(j.Account, j.ID); !isTerminal(st.Status) {
			running++
		}
	}
	if running < 3 {
		t.Errorf("after 3 minutes %d demo jobs still run, want at least 3", running)
	}
	clock.Advance(30 * time.Minute)
	for _, j := range cfg.Jobs {
		if st, _ := s.Job(j.Account, j.ID); !isTerminal(st.Status) || !st.Invariant() {
			t.Errorf("demo job %s after 33 minutes = %s, want terminal", j.ID, st.Status)
		}
	}
	// The legacy principal writes to the first account only.
	rec := ts.do("GET", jobsPath(DemoSecondAccountID), "", "X-Auth-Email", DemoLegacyEmail, "X-Auth-Key", DemoLegacyKey)
	if rec.Code != 403 {
		t.Errorf("legacy principal on the second account = %d, want 403", rec.Code)
	}
}

func TestFakeClockConcurrent(t *testing.T) {
	t.Parallel()
	c := NewFakeClock(t0)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Advance(time.Millisecond)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if got, want := c.Now(), t0.Add(8*time.Second); !got.Equal(want) {
		t.Errorf("Now() = %v, want %v", got, want)
	}
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Errorf("Now() after Set = %v, want %v", got, t0)
	}
}
