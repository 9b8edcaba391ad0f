package cfsim

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAuthMatrix(t *testing.T) {
	t.Parallel()
	done := ptr(t0.Add(-time.Hour))
	jobs := []SeedJob{
		withDone(seedJob(1, StatusCompleted, 1, 0, 1), done),
		withPlan(seedJob(2, StatusProcessing, 5, 5), Plan{Total: 5, ProcessPerStep: 1}),
	}
	bad := func(chain ...int) tError {
		e := tError{Code: 6003, Message: "Invalid request headers"}
		msgs := map[int]string{
			6111: "Invalid format for Authorization header",
			6102: "Invalid format for X-Auth-Email header",
			6103: "Invalid format for X-Auth-Key header",
		}
		for _, c := range chain {
			e.ErrorChain = append(e.ErrorChain, tError{Code: c, Message: msgs[c]})
		}
		return e
	}
	invalid := tError{Code: 9109, Message: "Invalid access token"}
	denied := tError{Code: 10000, Message: "Authentication error"}
	list, get := jobsPath(acct), jobPath(acct, testJobID(1))
	tests := []struct {
		name       string
		method     string
		path       string
		headers    []string
		wantStatus int
		wantErr    *tError
	}{
		{"no header", "GET", list, nil, 400, ptr(bad(6111))},
		{"bearer without token", "GET", list, []string{"Authorization", "Bearer"}, 400, ptr(bad(6111))},
		{"bearer with empty token", "GET", list, []string{"Authorization", "Bearer "}, 400, ptr(bad(6111))},
		{"bearer with two words", "GET", list, []string{"Authorization", "Bearer a b"}, 400, ptr(bad(6111))},
		{"basic scheme", "GET", list, []string{"Authorization", "Basic dXNlcjpwYXNz"}, 400, ptr(bad(6111))},
		{"bare token", "GET", list, []string{"Authorization", readTok}, 400, ptr(bad(6111))},
		{"two authorization headers", "GET", list, []string{"Authorization", "Bearer " + readTok, "Authorization", "Bearer " + readTok}, 400, ptr(bad(6111))},
		{"email only", "GET", list, []string{"X-Auth-Email", legEmail}, 400, ptr(bad(6103))},
		{"key only", "GET", list, []string{"X-Auth-Key", legKey}, 400, ptr(bad(6102))},
		{"malformed email", "GET", list, []string{"X-Auth-Email", "nobody", "X-Auth-Key", legKey}, 400, ptr(bad(6102))},
		{"malformed key", "GET", list, []string{"X-Auth-Email", legEmail, "X-Auth-Key", "not a key"}, 400, ptr(bad(6103))},
		{"malformed both schemes", "GET", list, []string{"Authorization", "Token x", "X-Auth-Email", legEmail}, 400, ptr(bad(6111, 6103))},
		{"unknown token", "GET", list, []string{"Authorization", "Bearer not-a-known-token"}, 403, &invalid},
		{"unknown legacy key", "GET", list, []string{"X-Auth-Email", legEmail, "X-Auth-Key", "ffff"}, 403, &invalid},
		{"unknown legacy email", "GET", list, []string{"X-Auth-Email", "x@y.example", "X-Auth-Key", legKey}, 403, &invalid},
		{"read token lists", "GET", list, []string{"Authorization", "Bearer " + readTok}, 200, nil},
		{"lower-case scheme", "GET", list, []string{"Authorization", "bearer " + readTok}, 200, nil},
		{"read token gets", "GET", get, []string{"Authorization", "Bearer " + readTok}, 200, nil},
		{"read token messages", "GET", get + "/messages", []string{"Authorization", "Bearer " + readTok}, 200, nil},
		{"read token creates", "POST", list, []string{"Authorization", "Bearer " + readTok}, 403, &denied},
		{"read token cancels", "POST", jobPath(acct, testJobID(2)) + "/cancel", []string{"Authorization", "Bearer " + readTok}, 403, &denied},
		{"read token deletes", "DELETE", get, []string{"Authorization", "Bearer " + readTok}, 403, &denied},
		{"token without the account", "GET", list, []string{"Authorization", "Bearer " + otherTok}, 403, &denied},
		{"token on an unknown account", "GET", jobsPath("ffffffffffffffffffffffffffffffff"), []string{"Authorization", "Bearer " + writeTok}, 403, &denied},
		{"account id too long", "GET", jobsPath(acct + "0"), []string{"Authorization", "Bearer " + writeTok}, 400,
			&tError{Code: 1400, Message: "account_id must be at most 32 characters", Source: &tSource{"/account_id"}}},
		{"legacy key reads", "GET", list, []string{"X-Auth-Email", legEmail, "X-Auth-Key", legKey}, 200, nil},
		{"legacy key writes", "DELETE", get, []string{"X-Auth-Email", legEmail, "X-Auth-Key", legKey}, 200, nil},
		{"legacy key on other account", "GET", jobsPath(acct2), []string{"X-Auth-Email", legEmail, "X-Auth-Key", legKey}, 403, &denied},
		{"valid token, malformed legacy", "GET", list, []string{"Authorization", "Bearer " + readTok, "X-Auth-Email", "bad"}, 200, nil},
		{"unknown token, valid legacy", "GET", list, []string{"Authorization", "Bearer nope", "X-Auth-Email", legEmail, "X-Auth-Key", legKey}, 200, nil},
		{"malformed bearer, valid legacy", "GET", list, []string{"Authorization", "Bearer", "X-Auth-Email", legEmail, "X-Auth-Key", legKey}, 200, nil},
		{"both unknown", "GET", list, []string{"Authorization", "Bearer nope", "X-Auth-Email", legEmail, "X-Auth-Key", "ffff"}, 403, &invalid},
		{"unknown token, malformed legacy", "GET", list, []string{"Authorization", "Bearer nope", "X-Auth-Key", legKey}, 403, &invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newSim(t, func(c *Config) { c.Jobs = jobs })
			body := ""
			if tt.method == "POST" && !strings.HasSuffix(tt.path, "/cancel") {
				body = `{"action":"RELEASE","search_params":{}}`
			}
			rec := ts.do(tt.method, tt.path, body, tt.headers...)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			env := decodeEnv(t, rec.Body.Bytes())
			if tt.wantErr == nil {
				if !env.Success || len(env.Errors) != 0 {
					t.Errorf("envelope = %+v, want success", env)
				}
				return
			}
			if diff := cmp.Diff([]tError{*tt.wantErr}, env.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if env.Success || string(env.Result) != "null" {
				t.Errorf("success = %v, result = %s, want false and null", env.Success, env.Result)
			}
			// Refused writes change nothing.
			if st, _ := ts.s.Job(acct, testJobID(2)); st.Status == StatusCancelled {
				t.Error("refused request cancelled the job")
			}
		})
	}
}

func TestAuthNeverChangesStateWhenForbidden(t *testing.T) {
	t.Parallel()
	ts := newSim(t, nil)
	code, _ := ts.as(readTok, "POST", jobsPath(acct), `{"action":"RELEASE","search_params":{}}`)
	if code != http.StatusForbidden {
		t.Fatalf("create with read token = %d, want 403", code)
	}
	_, env := ts.as(readTok, "GET", jobsPath(acct), "")
	if string(env.Result) != "[]" {
		t.Errorf("jobs after forbidden create = %s, want []", env.Result)
	}
}

func TestNewRejectsBadPrincipals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    []Principal
	}{
		{"no name", []Principal{{Token: "a"}}},
		{"duplicate name", []Principal{{Name: "a", Token: "a"}, {Name: "a", Token: "b"}}},
		{"no credential", []Principal{{Name: "a"}}},
		{"email without key", []Principal{{Name: "a", Email: "a@b.example"}}},
		{"token with space", []Principal{{Name: "a", Token: "a b"}}},
		{"duplicate token", []Principal{{Name: "a", Token: "t"}, {Name: "b", Token: "t"}}},
		{"bad account", []Principal{{Name: "a", Token: "t", Accounts: map[string]Permission{strings.Repeat("a", 33): PermRead}}}},
		{"bad permission", []Principal{{Name: "a", Token: "t", Accounts: map[string]Permission{acct: 7}}}},
	}
	for _, tt := range tests {
		if _, err := New(Config{Principals: tt.p}); err == nil {
			t.Errorf("%s: New() error = nil, want an error", tt.name)
		}
	}
}
