package cfsim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// serve starts ts on a real listener.
func (ts *tsim) serve(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(ts.s)
	t.Cleanup(srv.Close)
	return srv
}

// waitForRequests polls the request log until it holds n entries: the
// handler logs after the client may already have seen the connection end.
func (ts *tsim) waitForRequests(n int) []LoggedRequest {
	deadline := time.Now().Add(5 * time.Second)
	for len(ts.s.Requests()) < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return ts.s.Requests()
}

func httpGet(ctx context.Context, url, token string) (*http.Response, []byte, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestFaultKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fault       Fault
		wantStatus  int
		wantType    string
		wantCode    int    // envelope error code, 0 for none
		wantRetry   string // Retry-After
		wantBadJSON bool
	}{
		{"status default", Fault{Kind: FaultStatus, Count: 1}, 503, "application/json", 1503, "", false},
		{"status 500", Fault{Kind: FaultStatus, Status: 500, Count: 1}, 500, "application/json", 1500, "", false},
		{"html 502", Fault{Kind: FaultHTML, Count: 1}, 502, "text/html; charset=UTF-8", 0, "", false},
		{"html 504", Fault{Kind: FaultHTML, Status: 504, Count: 1}, 504, "text/html; charset=UTF-8", 0, "", false},
		{"rate limit", Fault{Kind: FaultRateLimit, RetryAfter: 1500 * time.Millisecond, Count: 1}, 429, "application/json", 971, "2", false},
		{"malformed", Fault{Kind: FaultMalformed, Count: 1}, 200, "application/json", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newSim(t, nil)
			srv := ts.serve(t)
			ts.s.InjectFault(tt.fault)
			resp, body, err := httpGet(context.Background(), srv.URL+jobsPath(acct), readTok)
			if err != nil {
				t.Fatalf("GET error = %v", err)
			}
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != tt.wantType {
				t.Errorf("answer = %d %q, want %d %q", resp.StatusCode, resp.Header.Get("Content-Type"), tt.wantStatus, tt.wantType)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetry)
			}
			if resp.Header.Get("Cf-Ray") == "" {
				t.Error("fault answer has no cf-ray")
			}
			var env tEnvelope
			jsonErr := json.Unmarshal(body, &env)
			if (jsonErr != nil) != (tt.wantBadJSON || tt.wantType != "application/json") {
				t.Errorf("decode error = %v for body %q", jsonErr, body)
			}
			if tt.wantCode != 0 && (len(env.Errors) != 1 || env.Errors[0].Code != tt.wantCode) {
				t.Errorf("errors = %+v, want code %d", env.Errors, tt.wantCode)
			}
			// Count 1: the next request is normal.
			if resp, _, _ := httpGet(context.Background(), srv.URL+jobsPath(acct), readTok); resp.StatusCode != 200 {
				t.Errorf("request after the fault = %d, want 200", resp.StatusCode)
			}
		})
	}
}

func TestFaultDrop(t *testing.T) {
	t.Parallel()
	ts := newSim(t, nil)
	srv := ts.serve(t)
	ts.s.InjectFault(Fault{Kind: FaultDrop, Count: 1})
	_, _, err := httpGet(context.Background(), srv.URL+jobsPath(acct), readTok)
	if err == nil {
		t.Fatal("GET through a dropped connection succeeded")
	}
	if got := ts.waitForRequests(1); len(got) != 1 || got[0].Status != 0 {
		t.Errorf("log = %+v, want one entry with status 0", got)
	}
	// Without a hijackable writer the handler aborts with http.ErrAbortHandler.
	ts.s.InjectFault(Fault{Kind: FaultDrop, Count: 1})
	func() {
		defer func() {
			if r := recover(); r != http.ErrAbortHandler {
				t.Errorf("recover() = %v, want http.ErrAbortHandler", r)
			}
		}()
		ts.do("GET", jobsPath(acct), "", "Authorization", "Bearer "+readTok)
	}()
}

func TestFaultLatency(t *testing.T) {
	t.Parallel()
	ts := newSim(t, nil)
	srv := ts.serve(t)
	ts.s.InjectFault(Fault{Kind: FaultLatency, Latency: 150 * time.Millisecond, Count: 1})
	start := time.Now()
	resp, _, err := httpGet(context.Background(), srv.URL+jobsPath(acct), readTok)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET = %v, %v; want 200", resp, err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answer after %v, want at least 150ms", d)
	}
	// The client going away ends the wait early.
	ts.s.InjectFault(Fault{Kind: FaultLatency, Latency: time.Hour, Count: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, _, err := httpGet(ctx, srv.URL+jobsPath(acct), readTok); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GET error = %v, want a deadline", err)
	}
	if got := ts.waitForRequests(2); len(got) != 2 || got[1].Status != 0 {
		t.Errorf("log = %+v, want the abandoned request logged with status 0", got)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("handler waited %v for a gone client", d)
	}
}

func TestFaultSelection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults []Fault
		calls  []string // endpoints called, in order
		want   []int    // statuses
	}{
		{"count 2", []Fault{{Kind: FaultStatus, Count: 2}},
			[]string{"list", "list", "list"}, []int{503, 503, 200}},
		{"probability 0 never", []Fault{{Kind: FaultStatus, Probability: 0}},
			[]string{"list", "list"}, []int{200, 200}},
		{"probability 1 always", []Fault{{Kind: FaultStatus, Probability: 1}},
			[]string{"list", "list", "get", "messages"}, []int{503, 503, 503, 503}},
		{"endpoint filter", []Fault{{Endpoint: "get", Kind: FaultStatus, Status: 500, Probability: 1}},
			[]string{"list", "get", "messages", "get"}, []int{200, 500, 200, 500}},
		{"first injected wins", []Fault{{Kind: FaultStatus, Status: 502, Count: 1}, {Kind: FaultStatus, Status: 504, Count: 1}},
			[]string{"list", "list", "list"}, []int{502, 504, 200}},
		{"count with probability 1", []Fault{{Endpoint: "list", Kind: FaultRateLimit, Count: 1, Probability: 1}},
			[]string{"get", "list", "list"}, []int{200, 429, 200}},
	}
	seed := withDone(seedJob(1, StatusCompleted, 1, 0, 1), ptr(t0))
	paths := map[string]string{
		"list": jobsPath(acct), "get": jobPath(acct, seed.ID), "messages": jobPath(acct, seed.ID) + "/messages",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{seed} })
			for _, f := range tt.faults {
				ts.s.InjectFault(f)
			}
			var got []int
			for _, ep := range tt.calls {
				got = append(got, ts.do("GET", paths[ep], "", "Authorization", "Bearer "+readTok).Code)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFaultProbabilityHalf(t *testing.T) {
	t.Parallel()
	ts := newSim(t, nil)
	ts.s.InjectFault(Fault{Kind: FaultStatus, Probability: 0.5})
	hits := 0
	for range 400 {
		if ts.do("GET", jobsPath(acct), "", "Authorization", "Bearer "+readTok).Code == 503 {
			hits++
		}
	}
	if hits < 120 || hits > 280 {
		t.Errorf("hits = %d of 400, want about 200", hits)
	}
}

func TestFaultsDoNotChangeState(t *testing.T) {
	t.Parallel()
	seed := withPlan(seedJob(1, StatusProcessing, 10, 10), Plan{Total: 10, ProcessPerStep: 1})
	ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{seed}; c.RateLimit = 3 })
	cancelPath := jobPath(acct, seed.ID) + "/cancel"
	for _, kind := range []FaultKind{FaultStatus, FaultRateLimit, FaultHTML, FaultMalformed} {
		ts.s.InjectFault(Fault{Endpoint: EndpointCancel, Kind: kind, Count: 1})
		rec := ts.do("POST", cancelPath, "", "Authorization", "Bearer "+writeTok)
		if json.Valid(rec.Body.Bytes()) && rec.Code == 200 {
			t.Errorf("%v: cancel answered 200 with a valid body", kind)
		}
		if st, _ := ts.s.Job(acct, seed.ID); st.Status != StatusProcessing {
			t.Fatalf("%v before the handler changed the job to %s", kind, st.Status)
		}
	}
	// Four faulted requests consumed none of the 3-request quota.
	ts.s.InjectFault(Fault{Endpoint: EndpointCancel, Kind: FaultStatus, Status: 503, Count: 1, After: true})
	if code, _ := ts.as(writeTok, "POST", cancelPath, ""); code != 503 {
		t.Errorf("cancel with an After fault = %d, want 503", code)
	}
	if st, _ := ts.s.Job(acct, seed.ID); st.Status != StatusCancelled {
		t.Errorf("status after an After fault = %s, want CANCELLED (the cancel took effect)", st.Status)
	}
	ts.s.InjectFault(Fault{Endpoint: EndpointGet, Kind: FaultMalformed, Count: 1, After: true})
	rec := ts.do("GET", jobPath(acct, seed.ID), "", "Authorization", "Bearer "+writeTok)
	if !strings.HasPrefix(rec.Body.String(), `{"success":true`) || json.Valid(rec.Body.Bytes()) {
		t.Errorf("After malformed body = %q, want a truncated real answer", rec.Body)
	}
}

func TestFaultRemoveAndClear(t *testing.T) {
	t.Parallel()
	ts := newSim(t, nil)
	id := ts.s.InjectFault(Fault{Kind: FaultStatus, Probability: 1})
	if !ts.s.RemoveFault(id) || ts.s.RemoveFault(id) {
		t.Error("RemoveFault() = false then true, want true then false")
	}
	ts.s.InjectFault(Fault{Kind: FaultStatus, Probability: 1})
	ts.s.InjectFault(Fault{Kind: FaultHTML, Probability: 1})
	ts.s.ClearFaults()
	if code := ts.do("GET", jobsPath(acct), "", "Authorization", "Bearer "+readTok).Code; code != 200 {
		t.Errorf("status after ClearFaults = %d, want 200", code)
	}
}
