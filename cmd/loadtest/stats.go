package main

import (
	"errors"
	"net"
	"os"
	"slices"
	"sort"
	"sync"
	"syscall"
	"time"
)

// kind is what a request was for; the report has a row per kind.
type kind uint8

const (
	kLoginPage kind = iota
	kLogin
	kCredentials
	kListPage
	kJobPage
	kAsset
	kLazy
	kListPoll
	kCardPoll
	kOtherPoll
	kHealthz
	kFloorGet
	kFloorList
	nKinds
)

var kindNames = [nKinds]string{
	kLoginPage: "login, pages", kLogin: "login, POST", kCredentials: "credentials",
	kListPage: "list page", kJobPage: "job page", kAsset: "asset", kLazy: "loaded on load",
	kListPoll: "list poll", kCardPoll: "card poll", kOtherPoll: "other poll",
	kHealthz: "/healthz", kFloorGet: "upstream get job", kFloorList: "upstream list jobs",
}

func (k kind) String() string { return kindNames[k] }

// tabKind reports whether the kind is a tab's own request (a page, a poll or
// a region loaded on load): the dashboard figures are computed over these.
func (k kind) tabKind() bool {
	switch k {
	case kListPage, kJobPage, kLazy, kListPoll, kCardPoll, kOtherPoll:
		return true
	}
	return false
}

// sample is one request.
type sample struct {
	at     time.Time
	lat    time.Duration
	bytes  int64 // body bytes on the wire (compressed when the answer was)
	status int
	kind   kind
}

// recorder collects every request and error of a run. It is safe for
// concurrent use.
type recorder struct {
	mu      sync.Mutex
	samples []sample
	errors  map[string]int
	stale   int
	notes   map[string]bool
}

func newRecorder() *recorder {
	return &recorder{errors: map[string]int{}, notes: map[string]bool{}}
}

func (r *recorder) add(s sample) {
	r.mu.Lock()
	r.samples = append(r.samples, s)
	r.mu.Unlock()
}

// fail counts one error of the given kind ("list poll: status 503").
func (r *recorder) fail(what string) {
	r.mu.Lock()
	r.errors[what]++
	r.mu.Unlock()
}

// note records a remark once ("the page uses server-sent events").
func (r *recorder) note(what string) {
	r.mu.Lock()
	r.notes[what] = true
	r.mu.Unlock()
}

// staleAnswer counts an answer that said it shows old data.
func (r *recorder) staleAnswer() {
	r.mu.Lock()
	r.stale++
	r.mu.Unlock()
}

// errKind names a transport error briefly.
func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, errTooLarge):
		return "answer too large"
	case errors.Is(err, errOffSite):
		return "off-site URL refused"
	}
	return "transport error"
}

// latencies summarises a set of durations.
type latencies struct {
	N        int         `json:"requests"`
	P50      float64     `json:"p50_ms"`
	P95      float64     `json:"p95_ms"`
	P99      float64     `json:"p99_ms"`
	Max      float64     `json:"max_ms"`
	Bytes    float64     `json:"mean_bytes"`
	Statuses map[int]int `json:"statuses,omitempty"`
}

// summarise computes the percentiles (nearest rank) of the samples.
func summarise(ss []sample) latencies {
	l := latencies{N: len(ss), Statuses: map[int]int{}}
	if len(ss) == 0 {
		return l
	}
	d := make([]time.Duration, len(ss))
	var bytes int64
	for i, s := range ss {
		d[i] = s.lat
		bytes += s.bytes
		l.Statuses[s.status]++
	}
	slices.Sort(d)
	l.P50, l.P95, l.P99 = ms(rank(d, 0.50)), ms(rank(d, 0.95)), ms(rank(d, 0.99))
	l.Max = ms(d[len(d)-1])
	l.Bytes = float64(bytes) / float64(len(ss))
	return l
}

// rank returns the p-th quantile of sorted d by the nearest-rank method.
func rank(d []time.Duration, p float64) time.Duration {
	i := int(float64(len(d))*p+0.999999) - 1
	return d[min(max(i, 0), len(d)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// median returns the median of v (0 for none).
func median(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v[len(v)/2]
}
