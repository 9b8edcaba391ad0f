package cfsim

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	oldJobKeys = []string{
		"action_params", "action_type", "comment", "completed_at", "created_at", "job_id",
		"messages_failed", "messages_pending", "messages_successful", "search_params",
		"started_at", "status", "status_message", "total_messages_discovered",
	}
	newJobKeys     = append(slices.Clone(oldJobKeys), "messages_cancelled", "messages_skipped")
	messageKeys    = []string{"action_params", "action_type", "alert_id", "created_at", "email_message_id", "message_id", "postfix_id", "processed_at", "retry_after", "retry_count", "status", "status_message"}
	wireTimeRegexp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestJobShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shape Shape
		want  []string
	}{{ShapeNew, newJobKeys}, {ShapeOld, oldJobKeys}} {
		t.Run(tc.shape.String(), func(t *testing.T) {
			t.Parallel()
			want := slices.Sorted(slices.Values(tc.want))
			seed := withPlan(seedJob(1, StatusProcessing, 10, 10), Plan{Total: 10, ProcessPerStep: 1})
			ts := newSim(t, func(c *Config) { c.Shape = tc.shape; c.Jobs = []SeedJob{seed} })
			results := map[string]json.RawMessage{}
			_, env := ts.as(writeTok, "POST", jobsPath(acct), `{"action":"RELEASE","search_params":{}}`)
			results["create"] = env.Result
			_, env = ts.as(readTok, "GET", jobPath(acct, seed.ID), "")
			results["get"] = env.Result
			_, env = ts.as(readTok, "GET", jobsPath(acct), "")
			var list []json.RawMessage
			json.Unmarshal(env.Result, &list)
			results["list[0]"], results["list[1]"] = list[0], list[1]
			_, env = ts.as(writeTok, "POST", jobPath(acct, seed.ID)+"/cancel", "")
			results["cancel"] = env.Result
			for name, raw := range results {
				if diff := cmp.Diff(want, keys(t, raw)); diff != "" {
					t.Errorf("%s job keys (-want +got):\n%s", name, diff)
				}
			}
			// The engine still tracks the hidden counters in the old shape.
			if st, _ := ts.s.Job(acct, seed.ID); st.Cancelled != 10 || !st.Invariant() {
				t.Errorf("state after cancel = %+v, want 10 cancelled", st)
			}
		})
	}
}

func TestJobJSONForm(t *testing.T) {
	t.Parallel()
	ts := newSim(t, nil)
	_, env := ts.as(writeTok, "POST", jobsPath(acct), `{"action":"RELEASE","search_params":{"domain":"partner.example"}}`)
	var m map[string]json.RawMessage
	json.Unmarshal(env.Result, &m)
	for _, k := range []string{"started_at", "completed_at", "comment", "status_message"} {
		if string(m[k]) != "null" {
			t.Errorf("%s = %s, want null", k, m[k])
		}
	}
	var created string
	json.Unmarshal(m["created_at"], &created)
	if !wireTimeRegexp.MatchString(created) || created != "2026-07-08T09:15:00.000Z" {
		t.Errorf("created_at = %q, want 2026-07-08T09:15:00.000Z", created)
	}
	wantSearch := []string{"action_log", "detections_only", "domain", "submissions"}
	if diff := cmp.Diff(wantSearch, keys(t, m["search_params"])); diff != "" {
		t.Errorf("search_params keys (-want +got):\n%s", diff)
	}
	if got := string(m["action_params"]); got != `{"type":"RELEASE"}` {
		t.Errorf("action_params = %s, want {\"type\":\"RELEASE\"}", got)
	}
}

func TestEnvelopeForm(t *testing.T) {
	t.Parallel()
	seed := withDone(seedJob(1, StatusCompleted, 3, 0, 2, 1), ptr(t0))
	ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{seed} })
	tests := []struct {
		name, method, path string
		token              string
		wantKeys           []string
		wantPrefix         string
	}{
		{"list", "GET", jobsPath(acct), readTok, []string{"errors", "messages", "result", "result_info", "success"},
			`{"success":true,"errors":[],"messages":[],"result":[`},
		{"messages", "GET", jobPath(acct, seed.ID) + "/messages", readTok, []string{"errors", "messages", "result", "result_info", "success"},
			`{"success":true,"errors":[],"messages":[],"result":[`},
		{"get", "GET", jobPath(acct, seed.ID), readTok, []string{"errors", "messages", "result", "success"},
			`{"success":true,"errors":[],"messages":[],"result":{`},
		{"error", "GET", jobPath(acct, testJobID(9)), readTok, []string{"errors", "messages", "result", "success"},
			`{"success":false,"errors":[{"code":1404,`},
		{"unknown route", "GET", "/client/v4/zones", readTok, []string{"errors", "messages", "result", "success"},
			`{"success":false,"errors":[{"code":7003,`},
	}
	for _, tt := range tests {
		rec := ts.do(tt.method, tt.path, "", "Authorization", "Bearer "+tt.token)
		body := rec.Body.String()
		if !strings.HasPrefix(body, tt.wantPrefix) {
			t.Errorf("%s body = %s, want prefix %s", tt.name, body, tt.wantPrefix)
		}
		if diff := cmp.Diff(tt.wantKeys, keys(t, rec.Body.Bytes())); diff != "" {
			t.Errorf("%s envelope keys (-want +got):\n%s", tt.name, diff)
		}
		if got := rec.Header().Get("Content-Type"); got != "application/json" {
			t.Errorf("%s Content-Type = %q, want application/json", tt.name, got)
		}
		if got := rec.Header().Get("Cf-Ray"); !regexp.MustCompile(`^[0-9a-f]{16}-SIM$`).MatchString(got) {
			t.Errorf("%s cf-ray = %q, want 16 hex digits and -SIM", tt.name, got)
		}
	}
}

func TestMessageShape(t *testing.T) {
	t.Parallel()
	move := withDone(seedJob(1, StatusFailed, 4, 0, 1, 1, 1, 1), ptr(t0))
	move.ExpectedDisposition = "SPAM"
	release := withDone(seedJob(2, StatusCompleted, 2, 0, 2), ptr(t0))
	release.Action, release.Destination = ActionRelease, ""
	ts := newSim(t, func(c *Config) { c.Jobs = []SeedJob{move, release} })
	for _, tc := range []struct {
		id         string
		wantParams []string
	}{
		{move.ID, []string{"client_recipient", "destination", "expected_disposition", "type"}},
		{release.ID, []string{"client_recipient", "type"}},
	} {
		_, env := ts.as(readTok, "GET", jobPath(acct, tc.id)+"/messages", "")
		var rows []json.RawMessage
		json.Unmarshal(env.Result, &rows)
		for _, raw := range rows {
			if diff := cmp.Diff(messageKeys, keys(t, raw)); diff != "" {
				t.Errorf("message keys (-want +got):\n%s", diff)
			}
			var m map[string]json.RawMessage
			json.Unmarshal(raw, &m)
			if diff := cmp.Diff(tc.wantParams, keys(t, m["action_params"])); diff != "" {
				t.Errorf("action_params keys (-want +got):\n%s", diff)
			}
			msg := decodeInto[tMessage](t, raw)
			if !wireTimeRegexp.MatchString(msg.CreatedAt) || !validJobID(msg.MessageID) || msg.PostfixID == "" {
				t.Errorf("message = %+v, want a uuid, a postfix_id and a millisecond created_at", msg)
			}
		}
	}
}
