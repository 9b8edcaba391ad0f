package cfsim

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAdminOff(t *testing.T) {
	t.Parallel()
	ts := newSim(t, nil)
	for _, c := range []struct{ method, path string }{
		{"POST", "/__admin/faults"}, {"GET", "/__admin/faults"}, {"DELETE", "/__admin/faults"},
		{"GET", "/__admin/requests"}, {"DELETE", "/__admin/requests"},
	} {
		rec := ts.do(c.method, c.path, `{"kind":"status","probability":1}`)
		env := decodeEnv(t, rec.Body.Bytes())
		if rec.Code != http.StatusNotFound || len(env.Errors) != 1 || env.Errors[0].Code != 7003 {
			t.Errorf("%s %s with admin off = %d %+v, want 404 code 7003", c.method, c.path, rec.Code, env.Errors)
		}
	}
	if code := ts.do("GET", jobsPath(acct), "", "Authorization", "Bearer "+readTok).Code; code != 200 {
		t.Errorf("list after admin attempts = %d, want 200 (no fault was injected)", code)
	}
}

func TestAdminFaults(t *testing.T) {
	t.Parallel()
	ts := newSim(t, func(c *Config) { c.EnableAdmin = true })
	rec := ts.do("POST", "/__admin/faults", `{"endpoint":"list","kind":"status","status":502,"count":2,"latency":"5ms","after":true}`)
	if rec.Code != http.StatusCreated || rec.Body.String() != "{\"id\":\"fault-1\"}\n" {
		t.Fatalf("POST fault = %d %s, want 201 {\"id\":\"fault-1\"}", rec.Code, rec.Body)
	}
	rec = ts.do("GET", "/__admin/faults", "")
	var listed []map[string]any
	json.Unmarshal(rec.Body.Bytes(), &listed)
	want := []map[string]any{{"id": "fault-1", "endpoint": "list", "kind": "status", "status": 502.0, "count": 2.0, "latency": "5ms", "after": true}}
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("GET faults (-want +got):\n%s", diff)
	}
	if code := ts.do("GET", jobsPath(acct), "", "Authorization", "Bearer "+readTok).Code; code != 502 {
		t.Errorf("list with the fault = %d, want 502", code)
	}
	if rec := ts.do("DELETE", "/__admin/faults", ""); rec.Code != http.StatusNoContent {
		t.Errorf("DELETE faults = %d, want 204", rec.Code)
	}
	if code := ts.do("GET", jobsPath(acct), "", "Authorization", "Bearer "+readTok).Code; code != 200 {
		t.Errorf("list after clearing = %d, want 200", code)
	}
	ts.do("POST", "/__admin/faults", `{"kind":"html","probability":1}`)
	if rec := ts.do("DELETE", "/__admin/faults/fault-2", ""); rec.Code != http.StatusNoContent {
		t.Errorf("DELETE fault-2 = %d, want 204", rec.Code)
	}
	if rec := ts.do("DELETE", "/__admin/faults/fault-2", ""); rec.Code != http.StatusNotFound {
		t.Errorf("second DELETE fault-2 = %d, want 404", rec.Code)
	}
}

func TestAdminRejectsBadFaults(t *testing.T) {
	t.Parallel()
	ts := newSim(t, func(c *Config) { c.EnableAdmin = true })
	for _, body := range []string{
		`{"kind":"explode"}`,
		`{"endpoint":"list"}`,
		`{"kind":"status","endpoint":"zones"}`,
		`{"kind":"latency","latency":"soon"}`,
		`{"kind":"latency","latency":5}`,
		`{"kind":"status","probability":2}`,
		`{"kind":"status","status":99}`,
		`{"kind":"status","colour":"red"}`,
		`{"kind":"status","id":"mine"}`,
		`not json`,
	} {
		if rec := ts.do("POST", "/__admin/faults", body); rec.Code != http.StatusBadRequest {
			t.Errorf("POST fault %s = %d, want 400", body, rec.Code)
		}
	}
	if rec := ts.do("GET", "/__admin/faults", ""); rec.Body.String() != "[]\n" {
		t.Errorf("faults after bad posts = %s, want []", rec.Body)
	}
}

func TestAdminRequests(t *testing.T) {
	t.Parallel()
	ts := newSim(t, func(c *Config) { c.EnableAdmin = true })
	ts.do("GET", jobsPath(acct), "", "Authorization", "Bearer "+readTok)
	ts.do("GET", jobsPath(acct), "")
	rec := ts.do("GET", "/__admin/requests", "")
	var got []LoggedRequest
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	want := []LoggedRequest{
		{Time: t0, Method: "GET", Path: jobsPath(acct), Endpoint: "list", Principal: "reader", Status: 200},
		{Time: t0, Method: "GET", Path: jobsPath(acct), Endpoint: "list", Status: 400},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET requests (-want +got):\n%s", diff)
	}
	if rec := ts.do("DELETE", "/__admin/requests", ""); rec.Code != http.StatusNoContent {
		t.Errorf("DELETE requests = %d, want 204", rec.Code)
	}
	if got := ts.s.Requests(); len(got) != 0 {
		t.Errorf("log after reset (admin requests are not logged) = %+v, want empty", got)
	}
}
