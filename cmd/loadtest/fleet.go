package main

import (
	"fmt"
	"io"
	"time"
)

// replicaUse is what one replica served and used in the run.
type replicaUse struct {
	URL      string  `json:"url"`
	PID      int     `json:"pid"`
	Requests int64   `json:"requests_in_run"` // sent to it by the proxy
	Memory   *memory `json:"memory,omitempty"`
	CPU      *cpuUse `json:"cpu,omitempty"`
}

// replicaWatch samples one replica's process and counts what it served.
type replicaWatch struct {
	r                replica
	smp              *sampler
	at               [3]*procSample // setup, run, end
	servedAtRun, end int64
}

// fleetWatch watches every replica of a fleet; it is empty for a single
// dashboard, which run samples as before.
type fleetWatch []*replicaWatch

// The moments a fleetWatch takes readings at.
const (
	atSetup = iota
	atRun
	atEnd
)

// watchFleet starts sampling every replica of d.
func watchFleet(d *dashboard) fleetWatch {
	var f fleetWatch
	for _, r := range d.replicas {
		f = append(f, &replicaWatch{r: r, smp: startSampler(r.pid, 250*time.Millisecond)})
	}
	return f
}

// take reads every replica now, for moment (atSetup, atRun or atEnd).
func (f fleetWatch) take(moment int) {
	for _, w := range f {
		p := w.smp.take()
		w.at[moment] = &p
		switch moment {
		case atRun:
			w.servedAtRun = w.r.served.Load()
		case atEnd:
			w.end = w.r.served.Load()
		}
	}
}

// addFleet stops the samplers and adds each replica's figures.
func (r *report) addFleet(f fleetWatch, ph phases) {
	for i, w := range f {
		samples, err := w.smp.stop()
		if err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("reading replica %d's /proc: %v", i+1, err))
		}
		u := replicaUse{URL: w.r.url, PID: w.r.pid, Requests: w.end - w.servedAtRun}
		u.Memory, u.CPU = procFigures(samples, ph, w.at[atSetup], w.at[atRun], w.at[atEnd])
		r.Replicas = append(r.Replicas, u)
	}
}

// writeReplicas prints one line per replica.
func (r *report) writeReplicas(w io.Writer) {
	if len(r.Replicas) == 0 {
		return
	}
	fmt.Fprintf(w, "Replicas: %d on one PostgreSQL database, behind this tool's round-robin proxy (every request to the next one).\n", len(r.Replicas))
	for i, u := range r.Replicas {
		fmt.Fprintf(w, "  replica %d (pid %d, %s): %d requests in the run", i+1, u.PID, u.URL, u.Requests)
		if m := u.Memory; m != nil {
			fmt.Fprintf(w, "; RSS peak %.1f MiB, steady %.1f MiB", m.PeakMiB, m.SteadyMiB)
		}
		if c := u.CPU; c != nil {
			fmt.Fprintf(w, "; CPU %.1f s (%.1f%% of one core), %.1f s logging in", c.RunSeconds, c.RunPercent, c.LoginSeconds)
		}
		fmt.Fprintln(w, ".")
	}
}
