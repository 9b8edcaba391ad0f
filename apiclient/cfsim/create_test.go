package cfsim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantPtr    string
	}{
		{"empty body", ``, 400, "/"},
		{"not json", `action=MOVE`, 400, "/"},
		{"array", `[{"action":"RELEASE"}]`, 400, "/"},
		{"string", `"RELEASE"`, 400, "/"},
		{"null", `null`, 400, "/"},
		{"trailing data", `{"action":"RELEASE","search_params":{}} {}`, 400, "/"},
		{"missing action", `{"search_params":{}}`, 400, "/action"},
		{"null action", `{"action":null,"search_params":{}}`, 400, "/action"},
		{"unknown action", `{"action":"DELETE","search_params":{}}`, 400, "/action"},
		{"lower-case action", `{"action":"release","search_params":{}}`, 400, "/action"},
		{"numeric action", `{"action":1,"search_params":{}}`, 400, "/action"},
		{"missing search_params", `{"action":"RELEASE"}`, 400, "/search_params"},
		{"null search_params", `{"action":"RELEASE","search_params":null}`, 400, "/search_params"},
		{"array search_params", `{"action":"RELEASE","search_params":[]}`, 400, "/search_params"},
		{"move without destination", `{"action":"MOVE","search_params":{}}`, 400, "/destination"},
		{"move with null destination", `{"action":"MOVE","destination":null,"search_params":{}}`, 400, "/destination"},
		{"unknown destination", `{"action":"MOVE","destination":"Trash","search_params":{}}`, 400, "/destination"},
		{"wrong-case destination", `{"action":"MOVE","destination":"junkemail","search_params":{}}`, 400, "/destination"},
		{"unknown expected_disposition", `{"action":"MOVE","destination":"Inbox","expected_disposition":"EVIL","search_params":{}}`, 400, "/expected_disposition"},
		{"release with bad destination", `{"action":"RELEASE","destination":"Trash","search_params":{}}`, 400, "/destination"},
		{"numeric comment", `{"action":"RELEASE","comment":5,"search_params":{}}`, 400, "/comment"},
		{"unknown top-level field", `{"action":"RELEASE","search_param":{}}`, 400, "/search_param"},
		{"unknown search field", `{"action":"RELEASE","search_params":{"from":"x"}}`, 400, "/search_params/from"},
		{"bad delivery_status", `{"action":"RELEASE","search_params":{"delivery_status":"DELIVERED"}}`, 400, "/search_params/delivery_status"},
		{"bad final_disposition", `{"action":"RELEASE","search_params":{"final_disposition":"HAM"}}`, 400, "/search_params/final_disposition"},
		{"bad message_action", `{"action":"RELEASE","search_params":{"message_action":"DELETE"}}`, 400, "/search_params/message_action"},
		{"string boolean", `{"action":"RELEASE","search_params":{"detections_only":"yes"}}`, 400, "/search_params/detections_only"},
		{"numeric sender", `{"action":"RELEASE","search_params":{"sender":42}}`, 400, "/search_params/sender"},
		{"bad start", `{"action":"RELEASE","search_params":{"start":"yesterday"}}`, 400, "/search_params/start"},
		{"end before start", `{"action":"RELEASE","search_params":{"start":"2026-07-02T00:00:00Z","end":"2026-07-01T00:00:00Z"}}`, 400, "/search_params/end"},
		{"body over 1 MiB", `{"action":"RELEASE","comment":"` + strings.Repeat("x", 1<<20) + `","search_params":{}}`, 413, ""},
		{"minimal release", `{"action":"RELEASE","search_params":{}}`, 201, ""},
		{"null optionals", `{"action":"RELEASE","search_params":{"sender":null,"start":null},"comment":null,"expected_disposition":null}`, 201, ""},
		{"every search field", `{"action":"MOVE","destination":"RecoverableItemsPurges","expected_disposition":"MALICIOUS-BEC","comment":"c",
			"search_params":{"action_log":true,"alert_id":"a","delivery_status":"queued","detections_only":false,"domain":"d","start":"2026-07-01T00:00:00Z",
			"end":"2026-07-08T00:00:00.5Z","exact_subject":"e","subject":"s","final_disposition":"NONE","message_action":"QUARANTINE_RELEASED",
			"message_id":"m","metric":"x","query":"q","recipient":"r@c.example","sender":"s@s.example","submissions":true}}`, 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newSim(t, nil)
			code, env := ts.as(writeTok, "POST", jobsPath(acct), tt.body)
			if code != tt.wantStatus {
				t.Fatalf("status = %d %+v, want %d", code, env.Errors, tt.wantStatus)
			}
			_, list := ts.as(readTok, "GET", jobsPath(acct), "")
			jobs := decodeInto[[]tJob](t, list.Result)
			if code != http.StatusCreated {
				if len(jobs) != 0 {
					t.Errorf("refused create left %d jobs", len(jobs))
				}
				if tt.wantPtr == "" {
					return
				}
				if len(env.Errors) != 1 || env.Errors[0].Code != 1400 || env.Errors[0].Source == nil || env.Errors[0].Source.Pointer != tt.wantPtr {
					t.Errorf("errors = %+v, want code 1400 at %s", env.Errors, tt.wantPtr)
				}
				return
			}
			if len(jobs) != 1 || jobs[0].JobID != decodeInto[tJob](t, env.Result).JobID {
				t.Errorf("list after create = %+v, want the new job", jobs)
			}
		})
	}
}

func TestCreateResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want tJob
	}{
		{"move", `{"action":"MOVE","destination":"JunkEmail","expected_disposition":"SPAM",
			"comment":"Sweep spam campaign from bulk-sender.example",
			"search_params":{"start":"2026-07-01T00:00:00Z","end":"2026-07-08T00:00:00Z","sender":"promo@bulk-sender.example","final_disposition":"SPAM"}}`,
			tJob{ActionType: "MOVE", Status: "PENDING", CreatedAt: "2026-07-08T09:15:00.000Z",
				ActionParams: map[string]string{"type": "MOVE", "destination": "JunkEmail", "expected_disposition": "SPAM"},
				SearchParams: map[string]any{"action_log": false, "detections_only": true, "submissions": false,
					"start": "2026-07-01T00:00:00Z", "end": "2026-07-08T00:00:00Z",
					"sender": "promo@bulk-sender.example", "final_disposition": "SPAM"},
				Skipped: ptr(0), Cancelled: ptr(0), Comment: ptr("Sweep spam campaign from bulk-sender.example")}},
		{"release ignores move fields", `{"action":"RELEASE","destination":"Inbox","search_params":{"detections_only":false}}`,
			tJob{ActionType: "RELEASE", Status: "PENDING", CreatedAt: "2026-07-08T09:15:00.000Z",
				ActionParams: map[string]string{"type": "RELEASE"},
				SearchParams: map[string]any{"action_log": false, "detections_only": false, "submissions": false},
				Skipped:      ptr(0), Cancelled: ptr(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newSim(t, nil)
			code, env := ts.as(writeTok, "POST", jobsPath(acct), tt.body)
			if code != http.StatusCreated {
				t.Fatalf("status = %d %+v, want 201", code, env.Errors)
			}
			got := decodeInto[tJob](t, env.Result)
			if !validJobID(got.JobID) {
				t.Errorf("job_id = %q, want a canonical uuid", got.JobID)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(tJob{}, "JobID")); diff != "" {
				t.Errorf("created job (-want +got):\n%s", diff)
			}
			if again := ts.getJob(acct, got.JobID); !cmp.Equal(got, again) {
				t.Errorf("E3 differs from the E2 answer:\n%s", cmp.Diff(got, again))
			}
		})
	}
}

func TestCreateIDsAreDeterministic(t *testing.T) {
	t.Parallel()
	ids := func() []string {
		ts := newSim(t, nil)
		var out []string
		for range 3 {
			_, env := ts.as(writeTok, "POST", jobsPath(acct), `{"action":"RELEASE","search_params":{}}`)
			out = append(out, decodeInto[tJob](t, env.Result).JobID)
		}
		return out
	}
	first, second := ids(), ids()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("job IDs differ between runs with one seed (-first +second):\n%s", diff)
	}
}
