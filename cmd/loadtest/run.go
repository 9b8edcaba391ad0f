package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// run performs one load test: start (or reach) the simulator and the
// dashboard, create the analysts, log them in within the login window, then
// run their tabs and the floor for o.Duration. A report comes back whenever
// the run phase started, also when ctx ended it early.
func run(ctx context.Context, o options) (*report, error) {
	tmp, err := os.MkdirTemp("", "loadtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	as := newAnalysts(o.Analysts, o.SharedToken)
	if o.Users != "" {
		if as, err = readUsers(o.Users, o.Sim != ""); err != nil {
			return nil, err
		}
	}
	floorToken := o.FloorToken
	var sim *simulator
	if o.Sim != "" {
		sim, err = externalSim(ctx, o.Sim, as[0].token)
	} else {
		floorToken = newToken()
		tokens := make([]string, len(as))
		for i, a := range as {
			tokens[i] = a.token
		}
		sim, err = startSim(o, tokens, floorToken)
	}
	if err != nil {
		return nil, err
	}
	defer sim.close()
	fmt.Fprintf(o.log, "loadtest: simulator at %s with %d running jobs for job tabs\n", sim.url, len(sim.jobs))

	d, err := startDashboard(ctx, o, tmp, sim)
	if err != nil {
		return nil, err
	}
	defer d.close()
	if len(d.replicas) > 0 {
		fmt.Fprintf(o.log, "loadtest: %d dashboard replicas on one PostgreSQL database behind a round-robin proxy at %s\n", len(d.replicas), d.url)
	} else {
		fmt.Fprintf(o.log, "loadtest: dashboard at %s (pid %d)\n", d.url, d.pid)
	}
	fleet := watchFleet(d)

	var smp *sampler
	if d.pid != 0 {
		smp = startSampler(d.pid, 250*time.Millisecond)
	}
	if d.addUser != nil {
		if err := createUsers(ctx, o, d, as); err != nil {
			return nil, err
		}
	}

	rec := newRecorder()
	ph := phases{setupStart: time.Now()}
	ph.procSetup = takeProc(smp)
	fleet.take(atSetup)
	ready := loginAll(ctx, o, d, as, rec)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if len(ready) == 0 {
		return nil, fmt.Errorf("no analyst could log in and add a credential: %v", rec.errors)
	}
	ph.runStart = time.Now()
	ph.procRun, ph.toolRun = takeProc(smp), selfProc()
	fleet.take(atRun)
	atStart := snapshot(sim.counts)
	fmt.Fprintf(o.log, "loadtest: %d analysts ready after %s; running %s\n", len(ready), ph.runStart.Sub(ph.setupStart).Round(time.Millisecond), o.Duration)

	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	listTabs, jobTabs := startTabs(runCtx, o, ready, sim.jobs)
	var wg sync.WaitGroup
	wg.Go(func() {
		floor(runCtx, rec, sim.apiURL(), floorToken, d.url, sim.jobs, o.PerPage, o.FloorRate)
	})
	<-runCtx.Done()
	ph.end = time.Now()
	wg.Wait()
	listTabs.Wait()
	ph.procEnd, ph.toolEnd = takeProc(smp), selfProc()
	fleet.take(atEnd)
	for _, a := range ready {
		a.b.closeIdle()
	}

	rep := newReport(o, d, sim, ready, len(as), rec, ph)
	rep.JobTabs, rep.ListTabs = jobTabs, o.Tabs*len(ready)-jobTabs
	if smp != nil {
		samples, perr := smp.stop()
		rep.addProc(samples, perr, ph)
	}
	rep.addFleet(fleet, ph)
	rep.ToolCPU = cpuBetween(nil, ph.toolRun, ph.toolEnd, rep.RunSeconds)
	if err := rep.addUpstream(ctx, o, sim, ready, atStart, floorToken, ph); err != nil {
		rep.Notes = append(rep.Notes, "upstream counts: "+err.Error())
	}
	if ctx.Err() != nil {
		rep.Notes = append(rep.Notes, "interrupted before the end of the run")
		return rep, ctx.Err()
	}
	return rep, nil
}

// phases are the run's moments and the process readings taken then.
type phases struct {
	setupStart, runStart, end time.Time
	procSetup, procRun        *procSample
	procEnd                   *procSample
	toolRun, toolEnd          *procSample
}

func startDashboard(ctx context.Context, o options, tmp string, sim *simulator) (*dashboard, error) {
	switch {
	case o.startDashboard != nil:
		return o.startDashboard(ctx, sim.apiURL())
	case o.Dashboard != "":
		return targetDashboard(ctx, o, tmp)
	}
	bin, err := buildDashboard(ctx, o, tmp)
	if err != nil {
		return nil, err
	}
	if o.DatabaseURL != "" {
		return startReplicas(ctx, o, bin, tmp, sim.apiURL())
	}
	return startChild(ctx, o, bin, tmp, sim.apiURL())
}

// createUsers adds every analyst as a responder, one per core at a time.
func createUsers(ctx context.Context, o options, d *dashboard, as []*analyst) error {
	start := time.Now()
	jobs := make(chan *analyst)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for a := range jobs {
				if err := d.addUser(ctx, a.email, a.password); err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, a := range as {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		jobs <- a
	}
	close(jobs)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	if first == nil {
		fmt.Fprintf(o.log, "loadtest: created %d analysts in %s\n", len(as), time.Since(start).Round(time.Millisecond))
	}
	return first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// loginAll starts analyst i's login at i/n of the login window and returns
// those whose login and credential succeeded. Each failure is an error in
// the report.
func loginAll(ctx context.Context, o options, d *dashboard, as []*analyst, rec *recorder) []*analyst {
	start := time.Now()
	ok := make([]bool, len(as))
	var wg sync.WaitGroup
	for i, a := range as {
		b, err := newBrowser(d.url, rec)
		if err != nil {
			rec.fail("setup: " + err.Error())
			continue
		}
		a.b = b
		at := start.Add(o.LoginWindow * time.Duration(i) / time.Duration(len(as)))
		wg.Go(func() {
			if !sleepUntil(ctx, at) {
				return
			}
			if err := a.setup(ctx); err != nil {
				if ctx.Err() == nil {
					rec.fail("setup: " + err.Error())
				}
				return
			}
			ok[i] = true
		})
	}
	wg.Wait()
	var ready []*analyst
	for i, a := range as {
		if ok[i] {
			ready = append(ready, a)
		}
	}
	return ready
}

// startTabs opens every analyst's tabs, each at a random moment in the first
// few seconds. Tab k (counting over all analysts) is a job page when
// floor((k+1)·mix) > floor(k·mix), which spreads job pages evenly; job pages
// take the running jobs in turn, so one analyst's job tabs show different
// jobs. It returns a WaitGroup for the tabs and the number of job tabs.
func startTabs(ctx context.Context, o options, as []*analyst, jobs []string) (*sync.WaitGroup, int) {
	rng := rand.New(rand.NewPCG(o.Seed, 0x74616273))
	spread := min(5*time.Second, o.Duration/4)
	budget := int(o.Duration/time.Second)*2 + 100
	list := "/accounts/" + account + "/jobs"
	if o.PerPage != 20 {
		list += "?per_page=" + strconv.Itoa(o.PerPage)
	}
	var wg sync.WaitGroup
	jobTabs := 0
	for i, a := range as {
		for j := range o.Tabs {
			k := float64(i*o.Tabs + j)
			t := &tab{b: a.b, page: list, pageKind: kListPage, budget: budget}
			if len(jobs) > 0 && int((k+1)*o.Mix) > int(k*o.Mix) {
				t.page, t.pageKind = "/accounts/"+account+"/jobs/"+jobs[jobTabs%len(jobs)], kJobPage
				jobTabs++
			}
			delay := time.Duration(rng.Int64N(int64(spread) + 1))
			wg.Go(func() {
				if sleepUntil(ctx, time.Now().Add(delay)) {
					t.run(ctx)
				}
			})
		}
	}
	return &wg, jobTabs
}

// takeProc reads the dashboard now, or returns nil without a sampler.
func takeProc(s *sampler) *procSample {
	if s == nil {
		return nil
	}
	p := s.take()
	return &p
}

// selfProc reads this process (load generator and in-process simulator).
func selfProc() *procSample {
	p, err := readProc(os.Getpid())
	if err != nil {
		return nil
	}
	return &p
}
