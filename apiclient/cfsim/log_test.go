package cfsim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRequestLog(t *testing.T) {
	t.Parallel()
	seed := withPlan(seedJob(1, StatusProcessing, 5, 5), Plan{Total: 5, ProcessPerStep: 1})
	ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{seed}; c.RateLimit = 4 })
	job := jobPath(acct, seed.ID)
	calls := []struct {
		method, path string
		headers      []string
	}{
		{"GET", jobsPath(acct), []string{"Authorization", "Bearer " + readTok, "X-Request-Id", "req-1"}},
		{"POST", job + "/cancel", []string{"Authorization", "Bearer " + readTok, "X-Request-Id", strings.Repeat("r", 80)}},
		{"GET", job + "/messages", []string{"X-Auth-Email", legEmail, "X-Auth-Key", legKey}},
		{"GET", jobsPath(acct), []string{"Authorization", "Bearer wrong-token"}},
		{"GET", jobsPath(acct), []string{"X-Auth-Key", legKey}},
		{"PUT", job, []string{"Authorization", "Bearer " + writeTok}},
		{"GET", "/client/v4/user/tokens/verify", []string{"Authorization", "Bearer " + writeTok}},
		{"POST", job + "/cancel", []string{"Authorization", "Bearer " + writeTok}},
		{"DELETE", job, []string{"Authorization", "Bearer " + writeTok}},
		{"GET", job, []string{"Authorization", "Bearer " + readTok}},
		{"GET", job, []string{"Authorization", "Bearer " + readTok}},
		{"GET", job, []string{"Authorization", "Bearer " + readTok}},
	}
	for _, c := range calls {
		ts.clock.Advance(time.Millisecond)
		ts.do(c.method, c.path, "", c.headers...)
	}
	at := func(i int) time.Time { return t0.Add(time.Duration(i+1) * time.Millisecond) }
	want := []LoggedRequest{
		{at(0), "GET", jobsPath(acct), "list", "reader", 200, "req-1"},
		{at(1), "POST", job + "/cancel", "cancel", "reader", 403, strings.Repeat("r", 64)},
		{at(2), "GET", job + "/messages", "messages", "legacy", 200, ""},
		{at(3), "GET", jobsPath(acct), "list", "", 403, ""},
		{at(4), "GET", jobsPath(acct), "list", "", 400, ""},
		{at(5), "PUT", job, "", "", 405, ""},
		{at(6), "GET", "/client/v4/user/tokens/verify", "", "", 404, ""},
		{at(7), "POST", job + "/cancel", "cancel", "writer", 200, ""},
		{at(8), "DELETE", job, "delete", "writer", 200, ""},
		{at(9), "GET", job, "get", "reader", 404, ""},
		{at(10), "GET", job, "get", "reader", 404, ""},
		{at(11), "GET", job, "get", "reader", 429, ""},
	}
	got := ts.s.Requests()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Requests() (-want +got):\n%s", diff)
	}
	dump, _ := json.Marshal(got)
	for _, secret := range []string{readTok, writeTok, legKey, legEmail, "wrong-token"} {
		if strings.Contains(string(dump)+fmt.Sprint(got), secret) {
			t.Errorf("request log contains the secret %q", secret)
		}
	}
	ts.s.ResetRequests()
	if got := ts.s.Requests(); len(got) != 0 {
		t.Errorf("Requests() after reset = %+v, want empty", got)
	}
}

func TestRequestLogIsBounded(t *testing.T) {
	t.Parallel()
	var l requestLog
	for i := range maxLogEntries + 5 {
		l.add(LoggedRequest{Status: i})
	}
	if len(l.entries) != maxLogEntries || l.entries[0].Status != 5 || l.entries[maxLogEntries-1].Status != maxLogEntries+4 {
		t.Errorf("log holds %d entries from %d, want the newest %d", len(l.entries), l.entries[0].Status, maxLogEntries)
	}
}
