package cfsim

import (
	"net/http"
	"testing"
)

func TestRouting(t *testing.T) {
	t.Parallel()
	ts := newSim(t, nil)
	job := jobPath(acct, testJobID(1))
	tests := []struct {
		method, path string
		wantStatus   int
		wantCode     int
		wantAllow    string
	}{
		{"GET", "/", 404, 7003, ""},
		{"GET", "/client/v4", 404, 7003, ""},
		{"GET", "/client/v4/accounts/" + acct, 404, 7003, ""},
		{"GET", "/client/v4/accounts/" + acct + "/email-security/investigate", 404, 7003, ""},
		{"GET", jobsPath(acct) + "/", 404, 7003, ""},
		{"GET", jobsPath(acct) + "//cancel", 404, 7003, ""},
		{"GET", jobsPath(acct) + "/../bulk", 404, 7003, ""},
		{"GET", job + "/messages/extra", 404, 7003, ""},
		{"GET", "/accounts/" + acct + "/email-security/investigate/bulk", 404, 7003, ""},
		{"PUT", jobsPath(acct), 405, 7001, "GET, POST"},
		{"PATCH", job, 405, 7001, "GET, DELETE"},
		{"GET", job + "/cancel", 405, 7001, "POST"},
		{"DELETE", job + "/messages", 405, 7001, "GET"},
		{"HEAD", jobsPath(acct), 200, 0, ""},
	}
	for _, tt := range tests {
		rec := ts.do(tt.method, tt.path, "", "Authorization", "Bearer "+readTok)
		if rec.Code != tt.wantStatus {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.wantStatus)
			continue
		}
		if got := rec.Header().Get("Allow"); got != tt.wantAllow {
			t.Errorf("%s %s Allow = %q, want %q", tt.method, tt.path, got, tt.wantAllow)
		}
		if tt.wantCode == 0 {
			continue
		}
		env := decodeEnv(t, rec.Body.Bytes())
		if len(env.Errors) != 1 || env.Errors[0].Code != tt.wantCode || env.Success || env.Messages == nil {
			t.Errorf("%s %s = %+v, want one error with code %d", tt.method, tt.path, env, tt.wantCode)
		}
	}
}

func TestRoutingMessageNamesPath(t *testing.T) {
	t.Parallel()
	ts := newSim(t, nil)
	rec := ts.do("GET", "/client/v4/zones/abc/dns_records", "")
	env := decodeEnv(t, rec.Body.Bytes())
	want := "Could not route to /client/v4/zones/abc/dns_records, perhaps your object identifier is invalid?"
	if rec.Code != http.StatusNotFound || len(env.Errors) != 1 || env.Errors[0].Message != want {
		t.Errorf("unknown route = %d %+v, want 404 %q", rec.Code, env.Errors, want)
	}
}
