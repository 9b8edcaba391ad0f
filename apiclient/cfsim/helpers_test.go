package cfsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The tests decode responses into their own types, written from the
// contract, never into the simulator's wire types.

var t0 = time.Date(2026, 7, 8, 9, 15, 0, 0, time.UTC)

const (
	acct      = "023e105f4ecef8ad9ca31a8372d0c353"
	acct2     = "0123456789abcdef0123456789abcdef"
	readTok   = "test-read-token-00000000000000000000000a"
	writeTok  = "test-write-token-0000000000000000000000b"
	otherTok  = "test-other-token-0000000000000000000000c"
	legEmail  = "soc@customer.example"
	legKey    = "0123456789abcdef0123456789abcdef01234"
	jobIDBase = "00000000-0000-4000-8000-%012x"
)

type tEnvelope struct {
	Success    bool            `json:"success"`
	Errors     []tError        `json:"errors"`
	Messages   []tError        `json:"messages"`
	Result     json.RawMessage `json:"result"`
	ResultInfo *tResultInfo    `json:"result_info"`
}

type tError struct {
	Code       int      `json:"code"`
	Message    string   `json:"message"`
	Source     *tSource `json:"source,omitempty"`
	ErrorChain []tError `json:"error_chain,omitempty"`
}

type tSource struct {
	Pointer string `json:"pointer"`
}

type tResultInfo struct {
	Count      int     `json:"count"`
	PerPage    int     `json:"per_page"`
	TotalCount int     `json:"total_count"`
	Page       int     `json:"page"`
	Next       *string `json:"next"`
	Previous   *string `json:"previous"`
}

type tJob struct {
	JobID         string            `json:"job_id"`
	ActionType    string            `json:"action_type"`
	ActionParams  map[string]string `json:"action_params"`
	SearchParams  map[string]any    `json:"search_params"`
	Status        string            `json:"status"`
	Total         int               `json:"total_messages_discovered"`
	Pending       int               `json:"messages_pending"`
	Successful    int               `json:"messages_successful"`
	Failed        int               `json:"messages_failed"`
	Skipped       *int              `json:"messages_skipped"`
	Cancelled     *int              `json:"messages_cancelled"`
	CreatedAt     string            `json:"created_at"`
	StartedAt     *string           `json:"started_at"`
	CompletedAt   *string           `json:"completed_at"`
	Comment       *string           `json:"comment"`
	StatusMessage *string           `json:"status_message"`
}

type tMessage struct {
	MessageID      string            `json:"message_id"`
	PostfixID      string            `json:"postfix_id"`
	ActionType     string            `json:"action_type"`
	ActionParams   map[string]string `json:"action_params"`
	Status         string            `json:"status"`
	RetryCount     int               `json:"retry_count"`
	CreatedAt      string            `json:"created_at"`
	ProcessedAt    *string           `json:"processed_at"`
	AlertID        *string           `json:"alert_id"`
	EmailMessageID *string           `json:"email_message_id"`
	RetryAfter     *string           `json:"retry_after"`
	StatusMessage  *string           `json:"status_message"`
}

// tsim is a simulator on a fake clock with three token principals and one
// legacy principal.
type tsim struct {
	t     testing.TB
	s     *Server
	clock *FakeClock
	read  string // token used by getJob and allMessages; readTok when empty
}

func (ts *tsim) readToken() string {
	if ts.read == "" {
		return readTok
	}
	return ts.read
}

func testPrincipals() []Principal {
	return []Principal{
		{Name: "reader", Token: readTok, Accounts: map[string]Permission{acct: PermRead, acct2: PermRead}},
		{Name: "writer", Token: writeTok, Accounts: map[string]Permission{acct: PermWrite, acct2: PermWrite}},
		{Name: "other", Token: otherTok, Accounts: map[string]Permission{acct2: PermWrite}},
		{Name: "legacy", Email: legEmail, Key: legKey, Accounts: map[string]Permission{acct: PermWrite}},
	}
}

// newSim builds a simulator; mutate may adjust the config first.
func newSim(t testing.TB, mutate func(*Config)) *tsim {
	t.Helper()
	clock := NewFakeClock(t0)
	cfg := Config{Principals: testPrincipals(), Clock: clock, Seed: 7, RateLimit: -1}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return &tsim{t: t, s: s, clock: clock}
}

func jobsPath(account string) string {
	return "/client/v4/accounts/" + account + "/email-security/investigate/bulk"
}

func jobPath(account, id string) string { return jobsPath(account) + "/" + id }

func testJobID(n int) string { return fmt.Sprintf(jobIDBase, n) }

// do sends a request through ServeHTTP; headers are name/value pairs.
func (ts *tsim) do(method, path, body string, headers ...string) *httptest.ResponseRecorder {
	ts.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	ts.s.ServeHTTP(rec, req)
	return rec
}

// as sends a request with a bearer token and decodes the envelope.
func (ts *tsim) as(token, method, path, body string) (int, tEnvelope) {
	ts.t.Helper()
	rec := ts.do(method, path, body, "Authorization", "Bearer "+token)
	return rec.Code, decodeEnv(ts.t, rec.Body.Bytes())
}

func decodeEnv(t testing.TB, body []byte) tEnvelope {
	t.Helper()
	var env tEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("decode envelope %q: %v", body, err)
	}
	return env
}

func decodeInto[T any](t testing.TB, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %q: %v", raw, err)
	}
	return v
}

// getJob fetches one job through E3.
func (ts *tsim) getJob(account, id string) tJob {
	ts.t.Helper()
	code, env := ts.as(ts.readToken(), "GET", jobPath(account, id), "")
	if code != http.StatusOK {
		ts.t.Fatalf("GET job %s = %d %+v, want 200", id, code, env.Errors)
	}
	return decodeInto[tJob](ts.t, env.Result)
}

// allMessages pages through E6 and returns every row.
func (ts *tsim) allMessages(account, id string) []tMessage {
	ts.t.Helper()
	var all []tMessage
	for page := 1; ; page++ {
		code, env := ts.as(ts.readToken(), "GET", fmt.Sprintf("%s/messages?per_page=1000&page=%d", jobPath(account, id), page), "")
		if code != http.StatusOK {
			ts.t.Fatalf("GET messages page %d = %d %+v", page, code, env.Errors)
		}
		rows := decodeInto[[]tMessage](ts.t, env.Result)
		if len(rows) == 0 {
			return all
		}
		all = append(all, rows...)
	}
}

// statusCounts counts rows per status.
func statusCounts(rows []tMessage) map[string]int {
	m := map[string]int{}
	for _, r := range rows {
		m[r.Status]++
	}
	return m
}

// stateCounts returns a JobState's counters keyed like statusCounts.
func stateCounts(s JobState) map[string]int {
	m := map[string]int{}
	for st, n := range map[string]int{
		StatusPending: s.Pending, StatusCompleted: s.Successful, StatusFailed: s.Failed,
		StatusSkipped: s.Skipped, StatusCancelled: s.Cancelled,
	} {
		if n > 0 {
			m[st] = n
		}
	}
	return m
}

// seedJob is a MOVE seed job with the given status and counters
// (total, pending, successful, failed, skipped, cancelled).
func seedJob(n int, status string, c ...int) SeedJob {
	c = append(c, make([]int, 6-len(c))...)
	return SeedJob{
		ID: testJobID(n), Account: acct, Action: ActionMove, Destination: "JunkEmail",
		SearchParams: SearchParams{DetectionsOnly: true}, Status: status,
		TotalDiscovered: c[0], Pending: c[1], Successful: c[2], Failed: c[3], Skipped: c[4], Cancelled: c[5],
	}
}

func ptr[T any](v T) *T { return &v }
