package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// writeJSON prints the report as one indented JSON object.
func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// rowOrder is the order of the per-kind rows: the tabs' requests, the floor,
// then the login phase.
var rowOrder = []kind{kListPage, kJobPage, kAsset, kLazy, kListPoll, kCardPoll, kOtherPoll,
	kFloorGet, kFloorList, kHealthz, kLoginPage, kLogin, kCredentials}

// writeText prints the report as a plain table and a few sentences.
func (r *report) writeText(w io.Writer) {
	fmt.Fprintf(w, "$ %s\n# on %s\n", r.Command, r.Machine)
	fmt.Fprintf(w, "Load test: %d analysts × %d tabs (%d list tabs, %d job pages), %d running jobs, per_page %d, seed %d",
		r.AnalystsReady, r.TabsPerAnalyst, r.ListTabs, r.JobTabs, r.RunningJobs, r.PerPage, r.Seed)
	if r.SharedToken {
		fmt.Fprint(w, ", tokens shared in pairs")
	}
	fmt.Fprintln(w, ".")
	if r.AnalystsReady != r.Analysts {
		fmt.Fprintf(w, "%d of %d analysts could not log in or add their credential (see errors).\n", r.Analysts-r.AnalystsReady, r.Analysts)
	}
	pid := "RSS and CPU not read"
	switch {
	case len(r.Replicas) > 0:
		pid = fmt.Sprintf("a proxy to %d replica(s)", len(r.Replicas))
	case r.DashboardPID != 0:
		pid = fmt.Sprintf("pid %d", r.DashboardPID)
	}
	fmt.Fprintf(w, "Login phase %s (logins started over %s), then %s of tabs. Dashboard %s (%s), simulator %s.\n\n",
		secs(r.LoginPhase), secs(r.LoginWindow), secs(r.RunSeconds), r.DashboardURL, pid, r.SimulatorURL)

	fmt.Fprintf(w, "%-30s %9s %9s %9s %9s %9s %11s\n", "", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms", "mean bytes")
	row := func(name string, l latencies) {
		fmt.Fprintf(w, "%-30s %9d %9.2f %9.2f %9.2f %9.2f %11.0f\n", name, l.N, l.P50, l.P95, l.P99, l.Max, l.Bytes)
	}
	row("dashboard, all tab requests", r.Dashboard)
	row("dashboard, polls only", r.Polls)
	row("upstream, direct (floor)", r.Upstream)
	for _, k := range rowOrder {
		if l, ok := r.Kinds[k.String()]; ok {
			row("  "+k.String(), l)
		}
	}
	fmt.Fprintln(w, "(dashboard rows: pages and polls of the run, not static files; login rows: the login phase)")

	o, kk := r.Overhead, func(k kind) bool { return r.Kinds[k.String()].N > 0 }
	fmt.Fprintf(w, "\nDashboard p99 − upstream p99: %.2f ms (%.1f×).", o.P99DiffMs, o.P99Ratio)
	if kk(kCardPoll) && kk(kFloorGet) {
		fmt.Fprintf(w, " Card poll p99 − get job p99: %.2f ms.", o.CardPollMinusGetMs)
	}
	if kk(kListPoll) && kk(kFloorList) {
		fmt.Fprintf(w, " List poll p99 − list jobs p99: %.2f ms.", o.ListPollMinusListMs)
	}
	if kk(kHealthz) && kk(kCardPoll) {
		fmt.Fprintf(w, " Card poll p50 / /healthz p50: %.1f×.", o.CardPollOverHealthz)
	}
	if kk(kHealthz) && kk(kListPoll) {
		fmt.Fprintf(w, " List poll p50 / /healthz p50: %.1f×.", o.ListPollOverHealthz)
	}
	fmt.Fprintln(w)

	c := r.Calls
	fmt.Fprintf(w, "Upstream calls per token per 5 min (%s, %d tokens): max %.0f, mean %.0f.", c.Source, c.Tokens, c.Per5MinMax, c.Per5MinMean)
	if c.Floor5Min > 0 {
		fmt.Fprintf(w, " The floor's own token: %.0f.", c.Floor5Min)
	}
	fmt.Fprintln(w)
	if len(c.Groups) > 1 || (len(c.Groups) == 1 && c.Groups[0].AnalystsPerToken != 1) {
		for _, g := range c.Groups {
			fmt.Fprintf(w, "  tokens used by %d analyst(s): %d, max %.0f, mean %.0f\n", g.AnalystsPerToken, g.Tokens, g.Per5MinMax, g.Per5MinMean)
		}
	}
	if len(c.ByEndpoint) > 0 {
		fmt.Fprintf(w, "  calls in the run by endpoint: list %d, get %d, messages %d, other %d\n",
			c.ByEndpoint["list"], c.ByEndpoint["get"], c.ByEndpoint["messages"], c.ByEndpoint["other"])
	}
	fmt.Fprintf(w, "429s from the simulator to analysts' tokens: %d in the run, %d in the login phase.\n", c.TooMany, c.TooManySetup)

	if r.ErrorCount == 0 {
		fmt.Fprintln(w, "Errors: none.")
	} else {
		fmt.Fprintf(w, "Errors: %d.\n", r.ErrorCount)
		for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
			fmt.Fprintf(w, "  %6d  %s\n", r.Errors[k], k)
		}
	}
	fmt.Fprintf(w, "Answers marked stale: %d.\n", r.StaleAnswers)

	if m := r.Memory; m != nil {
		fmt.Fprintf(w, "Dashboard RSS: peak %.1f MiB (%.1f MiB by the end of the login phase), steady %.1f MiB (median of the run's last half; %d samples).\n",
			m.PeakMiB, m.LoginPeakMiB, m.SteadyMiB, m.Samples)
	}
	if p := r.CPU; p != nil {
		fmt.Fprintf(w, "Dashboard CPU: %.1f s in the run (%.1f%% of one core), %.1f s in the login phase.\n", p.RunSeconds, p.RunPercent, p.LoginSeconds)
	}
	r.writeReplicas(w)
	if p := r.ToolCPU; p != nil {
		fmt.Fprintf(w, "This tool's CPU (load generator and in-process simulator): %.1f s in the run (%.1f%% of one core).\n", p.RunSeconds, p.RunPercent)
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "Note: "+n)
	}
}

// secs prints seconds as a rounded duration.
func secs(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d >= time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(100 * time.Millisecond).String()
}
