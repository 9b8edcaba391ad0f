package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/respond/bulkjobs/store/storetest"
)

// TestRunReplicas runs the tool against two dashboard processes on one
// PostgreSQL database behind its round-robin proxy: every analyst logs in
// and polls through both, with no error, and each replica's requests, RSS
// and CPU are reported. The database it made is gone afterwards.
func TestRunReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the dashboard binary")
	}
	storetest.RequirePostgres(t)
	o := testOptions(t)
	o.Replicas, o.DatabaseURL = 2, os.Getenv(storetest.PostgresURLVar)
	rep, err := run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep)
	if len(rep.Replicas) != 2 {
		t.Fatalf("%d replicas in the report, want 2", len(rep.Replicas))
	}
	for i, r := range rep.Replicas {
		if r.PID == 0 || r.Requests == 0 || r.Memory == nil || r.Memory.PeakMiB <= 0 || r.CPU == nil {
			t.Errorf("replica %d: %+v, want requests, RSS and CPU", i+1, r)
		}
	}
}

// TestRoundRobin: requests go to each backend in turn, with the Host the
// client asked for and X-Forwarded-For set, as a load balancer sends them.
func TestRoundRobin(t *testing.T) {
	var hits [2]atomic.Int64
	var backends []*url.URL
	for i := range hits {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			io.WriteString(w, r.Host+" "+r.Header.Get("X-Forwarded-For"))
		}))
		defer srv.Close()
		u, _ := url.Parse(srv.URL)
		backends = append(backends, u)
	}
	rs := []replica{{served: new(atomic.Int64)}, {served: new(atomic.Int64)}}
	proxy := httptest.NewServer(roundRobin(backends, rs))
	defer proxy.Close()
	for range 6 {
		resp, err := http.Get(proxy.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := strings.TrimPrefix(proxy.URL, "http://") + " 127.0.0.1"; string(body) != want {
			t.Errorf("backend saw %q, want %q", body, want)
		}
	}
	for i := range hits {
		if hits[i].Load() != 3 || rs[i].served.Load() != 3 {
			t.Errorf("backend %d: %d requests (counted %d), want 3", i, hits[i].Load(), rs[i].served.Load())
		}
	}
}
