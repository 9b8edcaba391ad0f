package fleettest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestFleetUpstreamCalls: ten tabs spread over three replicas (round robin,
// no stickiness), polling as htmx does for tabsDuration on 20 running jobs,
// cost Cloudflare what they cost on one replica: per credential, the same
// upstream calls within 2. Both fleets run at once, each with its own
// simulator (the same jobs) and database. Two analysts, each with a token of
// their own, have five tabs each: the job list and four job pages.
func TestFleetUpstreamCalls(t *testing.T) {
	d := tabsDuration()
	const ada, bo = "ada@fleet.example", "bo@fleet.example"
	results := map[int]map[string]int{}
	var mu sync.Mutex
	t.Run("fleets", func(t *testing.T) {
		for _, n := range []int{3, 1} {
			t.Run(fmt.Sprintf("%d replicas", n), func(t *testing.T) {
				t.Parallel()
				calls := tabsScenario(t, n, d, ada, bo)
				mu.Lock()
				results[n] = calls
				mu.Unlock()
			})
		}
	})
	if t.Failed() {
		return
	}
	if len(results) != 2 {
		t.Skip("the fleets were skipped")
	}
	for _, who := range []string{ada, bo} {
		one, three := results[1][who], results[3][who]
		t.Logf("%s: %d upstream calls with 1 replica, %d with 3 (10 tabs over %s)", who, one, three, d)
		if three < one-2 || three > one+2 {
			t.Errorf("%s: 3 replicas cost Cloudflare %d calls, 1 replica %d: want the same within 2", who, three, one)
		}
	}
}

// tabsScenario starts n replicas, signs the analysts in and adds their
// credentials, then opens their tabs for d and returns the upstream calls
// each analyst's credential made while the tabs were open.
func tabsScenario(t *testing.T, n int, d time.Duration, analysts ...string) map[string]int {
	s := newSim(t, analysts...)
	f := startFleet(t, n, s)
	var tabs []*tab
	var mu sync.Mutex
	var errs []string
	for i, email := range analysts {
		f.addUser(t, email, password)
		b := newBrowser(f.proxy.url)
		b.login(t, email, password, 0)
		b.addCredential(t, s.tokens[email], 0)
		pages := []string{"/accounts/" + account + "/jobs"}
		for _, job := range s.jobs[4*i : 4*i+4] {
			pages = append(pages, jobPath(job))
		}
		for _, p := range pages {
			tabs = append(tabs, &tab{b: b, page: p, mu: &mu, errs: &errs})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	mark := s.mark()
	var wg sync.WaitGroup
	for _, tb := range tabs {
		wg.Go(func() { tb.run(ctx) })
	}
	wg.Wait()
	window := s.since(mark)
	calls := perPrincipal(window)
	mu.Lock()
	defer mu.Unlock()
	for _, e := range errs {
		t.Errorf("a tab saw: %s", e)
	}
	for _, who := range analysts {
		t.Logf("%d replica(s): %s: %d upstream calls %v", n, who, calls[who], byEndpoint(window, who))
	}
	t.Logf("%d replica(s): answers per replica %v, proxy retries %d", n, f.proxy.servedBy(), f.proxy.retries.Load())
	return calls
}
