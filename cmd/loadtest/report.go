package main

import (
	"context"
	"maps"
	"slices"
	"time"
)

// report is what a run measured. Latencies are in milliseconds, memory in
// MiB (2^20 bytes), upstream calls scaled to 5 minutes from the run's length.
type report struct {
	Command        string  `json:"command"`
	Machine        string  `json:"machine"`
	Analysts       int     `json:"analysts"`
	AnalystsReady  int     `json:"analysts_ready"`
	TabsPerAnalyst int     `json:"tabs_per_analyst"`
	ListTabs       int     `json:"list_tabs"`
	JobTabs        int     `json:"job_tabs"`
	RunningJobs    int     `json:"running_jobs"`
	PerPage        int     `json:"per_page"`
	SharedToken    bool    `json:"shared_token"`
	Seed           uint64  `json:"seed"`
	DashboardURL   string  `json:"dashboard_url"`
	DashboardPID   int     `json:"dashboard_pid,omitempty"`
	SimulatorURL   string  `json:"simulator_url"`
	LoginWindow    float64 `json:"login_window_seconds"`
	LoginPhase     float64 `json:"login_phase_seconds"`
	RunSeconds     float64 `json:"run_seconds"`

	// Dashboard is every tab request of the run (pages, polls, regions
	// loaded on load; not static files); Polls only the polls.
	Dashboard latencies `json:"dashboard"`
	Polls     latencies `json:"polls"`
	// Upstream is the floor's direct calls to the simulator in the same run.
	Upstream latencies            `json:"upstream"`
	Kinds    map[string]latencies `json:"by_kind"`
	Overhead overhead             `json:"overhead"`
	Calls    calls                `json:"upstream_calls"`

	Errors       map[string]int `json:"errors"`
	ErrorCount   int            `json:"error_count"`
	StaleAnswers int            `json:"stale_answers"`
	Memory       *memory        `json:"dashboard_memory,omitempty"`
	CPU          *cpuUse        `json:"dashboard_cpu,omitempty"`
	ToolCPU      *cpuUse        `json:"tool_cpu,omitempty"`
	// Replicas are the dashboard processes behind the tool's proxy with
	// -database-url; Memory and CPU are then per replica, here.
	Replicas []replicaUse `json:"replicas,omitempty"`
	Notes    []string     `json:"notes,omitempty"`
}

// overhead compares the dashboard with the floor measured alongside.
type overhead struct {
	P99DiffMs           float64 `json:"p99_minus_upstream_p99_ms"`
	P99Ratio            float64 `json:"p99_over_upstream_p99"`
	CardPollMinusGetMs  float64 `json:"card_poll_p99_minus_get_job_p99_ms"`
	ListPollMinusListMs float64 `json:"list_poll_p99_minus_list_jobs_p99_ms"`
	CardPollOverHealthz float64 `json:"card_poll_p50_over_healthz_p50"`
	ListPollOverHealthz float64 `json:"list_poll_p50_over_healthz_p50"`
}

// calls are the upstream calls of the analysts' tokens during the run.
type calls struct {
	Source       string           `json:"source"`
	Tokens       int              `json:"tokens"`
	Per5MinMax   float64          `json:"per_token_per_5min_max"`
	Per5MinMean  float64          `json:"per_token_per_5min_mean"`
	Groups       []tokenGroup     `json:"by_analysts_per_token,omitempty"`
	TooMany      int64            `json:"status_429"`
	TooManySetup int64            `json:"status_429_while_logging_in"`
	ByEndpoint   map[string]int64 `json:"by_endpoint,omitempty"`
	Floor5Min    float64          `json:"floor_per_5min,omitempty"`
}

type tokenGroup struct {
	AnalystsPerToken int     `json:"analysts_per_token"`
	Tokens           int     `json:"tokens"`
	Per5MinMax       float64 `json:"per_5min_max"`
	Per5MinMean      float64 `json:"per_5min_mean"`
}

type memory struct {
	PeakMiB      float64 `json:"peak_mib"`
	LoginPeakMiB float64 `json:"peak_by_end_of_login_mib"`
	SteadyMiB    float64 `json:"steady_mib"`
	Samples      int     `json:"samples"`
}

type cpuUse struct {
	LoginSeconds float64 `json:"login_phase_seconds,omitempty"`
	RunSeconds   float64 `json:"run_seconds"`
	RunPercent   float64 `json:"run_percent_of_one_core"`
}

// newReport summarises the recorder's samples.
func newReport(o options, d *dashboard, sim *simulator, ready []*analyst, analysts int, rec *recorder, ph phases) *report {
	r := &report{
		Machine:  machine(),
		Analysts: analysts, AnalystsReady: len(ready), TabsPerAnalyst: o.Tabs, RunningJobs: len(sim.jobs),
		PerPage: o.PerPage, SharedToken: o.SharedToken, Seed: o.Seed,
		DashboardURL: d.url, DashboardPID: d.pid, SimulatorURL: sim.url,
		LoginWindow: o.LoginWindow.Seconds(), LoginPhase: ph.runStart.Sub(ph.setupStart).Seconds(),
		RunSeconds: ph.end.Sub(ph.runStart).Seconds(), Kinds: map[string]latencies{},
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	r.Errors, r.StaleAnswers = maps.Clone(rec.errors), rec.stale
	for _, n := range rec.errors {
		r.ErrorCount += n
	}
	r.Notes = slices.Sorted(maps.Keys(rec.notes))
	byKind := make([][]sample, nKinds)
	var tabs, polls, up []sample
	for _, s := range rec.samples {
		login := s.kind == kLoginPage || s.kind == kLogin || s.kind == kCredentials
		if !login && s.at.Before(ph.runStart) {
			continue
		}
		byKind[s.kind] = append(byKind[s.kind], s)
		switch {
		case s.kind == kListPoll || s.kind == kCardPoll || s.kind == kOtherPoll:
			polls = append(polls, s)
			tabs = append(tabs, s)
		case s.kind.tabKind():
			tabs = append(tabs, s)
		case s.kind == kFloorGet || s.kind == kFloorList:
			up = append(up, s)
		}
	}
	for k, ss := range byKind {
		if len(ss) > 0 {
			r.Kinds[kind(k).String()] = summarise(ss)
		}
	}
	r.Dashboard, r.Polls, r.Upstream = summarise(tabs), summarise(polls), summarise(up)
	if r.Upstream.N > 0 {
		r.Overhead.P99DiffMs = r.Dashboard.P99 - r.Upstream.P99
		r.Overhead.P99Ratio = ratio(r.Dashboard.P99, r.Upstream.P99)
	}
	kk := func(k kind) latencies { return r.Kinds[k.String()] }
	if card, get := kk(kCardPoll), kk(kFloorGet); card.N > 0 && get.N > 0 {
		r.Overhead.CardPollMinusGetMs = card.P99 - get.P99
	}
	if list, lj := kk(kListPoll), kk(kFloorList); list.N > 0 && lj.N > 0 {
		r.Overhead.ListPollMinusListMs = list.P99 - lj.P99
	}
	if hz := kk(kHealthz); hz.N > 0 {
		r.Overhead.CardPollOverHealthz = ratio(kk(kCardPoll).P50, hz.P50)
		r.Overhead.ListPollOverHealthz = ratio(kk(kListPoll).P50, hz.P50)
	}
	return r
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// addUpstream counts the analysts' upstream calls in the run.
func (r *report) addUpstream(ctx context.Context, o options, sim *simulator, ready []*analyst, atStart map[string]callCount, floorToken string, ph phases) error {
	scale := (5 * time.Minute).Seconds() / ph.end.Sub(ph.runStart).Seconds()
	perToken := map[string]float64{}
	users := map[string]int{}
	if sim.counts != nil {
		r.Calls.Source = "in-process counter, per token"
		atEnd := snapshot(sim.counts)
		r.Calls.ByEndpoint = map[string]int64{}
		for _, a := range ready {
			users[a.token]++
		}
		for tok := range users {
			s, e := atStart[tok], atEnd[tok]
			perToken[tok] = float64(e.calls-s.calls) * scale
			r.Calls.TooMany += e.tooMany - s.tooMany
			r.Calls.TooManySetup += s.tooMany
			r.Calls.ByEndpoint["list"] += e.list - s.list
			r.Calls.ByEndpoint["get"] += e.get - s.get
			r.Calls.ByEndpoint["messages"] += e.messages - s.messages
			r.Calls.ByEndpoint["other"] += e.rest - s.rest
		}
		r.Calls.Floor5Min = float64(atEnd[floorToken].calls-atStart[floorToken].calls) * scale
	} else {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		n, tooMany, full, err := adminCounts(ctx, sim.url, ph.runStart)
		if err != nil {
			return err
		}
		r.Calls.Source = "simulator request log, per principal (the floor's included)"
		for p, c := range n {
			perToken[p], users[p] = float64(c)*scale, 0
			r.Calls.TooMany += int64(tooMany[p])
		}
		if full {
			r.Notes = append(r.Notes, "the simulator's request log (10,000 entries) overflowed: upstream counts are too low")
		}
	}
	r.Calls.Tokens = len(perToken)
	groups := map[int][]float64{}
	for tok, v := range perToken {
		r.Calls.Per5MinMax = max(r.Calls.Per5MinMax, v)
		r.Calls.Per5MinMean += v / float64(len(perToken))
		groups[users[tok]] = append(groups[users[tok]], v)
	}
	for _, n := range slices.Sorted(maps.Keys(groups)) {
		g := tokenGroup{AnalystsPerToken: n, Tokens: len(groups[n])}
		for _, v := range groups[n] {
			g.Per5MinMax = max(g.Per5MinMax, v)
			g.Per5MinMean += v / float64(len(groups[n]))
		}
		r.Calls.Groups = append(r.Calls.Groups, g)
	}
	return nil
}

// addProc fills memory and CPU from the dashboard's samples.
func (r *report) addProc(samples []procSample, err error, ph phases) {
	if err != nil {
		r.Notes = append(r.Notes, "reading the dashboard's /proc: "+err.Error())
	}
	r.Memory, r.CPU = procFigures(samples, ph, ph.procSetup, ph.procRun, ph.procEnd)
}

// procFigures summarises one process's samples: the peak, the median RSS of
// the run's last half, and the CPU used in the login phase and the run
// (setup, start and end are readings at those moments).
func procFigures(samples []procSample, ph phases, setup, start, end *procSample) (*memory, *cpuUse) {
	var m *memory
	if len(samples) > 0 {
		m = &memory{Samples: len(samples)}
		var steady []int64
		half := ph.runStart.Add(ph.end.Sub(ph.runStart) / 2)
		for _, s := range samples {
			m.PeakMiB = max(m.PeakMiB, mib(s.HWM), mib(s.RSS))
			if !s.At.Before(half) {
				steady = append(steady, s.RSS)
			}
		}
		m.SteadyMiB = mib(median(steady))
		if start != nil {
			m.LoginPeakMiB = max(mib(start.HWM), mib(start.RSS))
		}
	}
	return m, cpuBetween(setup, start, end, ph.end.Sub(ph.runStart).Seconds())
}

func cpuBetween(setup, start, end *procSample, runSeconds float64) *cpuUse {
	if start == nil || end == nil || runSeconds <= 0 {
		return nil
	}
	c := &cpuUse{RunSeconds: (end.CPU - start.CPU).Seconds()}
	c.RunPercent = 100 * c.RunSeconds / runSeconds
	if setup != nil {
		c.LoginSeconds = (start.CPU - setup.CPU).Seconds()
	}
	return c
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
