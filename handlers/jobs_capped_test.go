package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/respond/bulkjobs/web/webtest"
)

// floodingUpstream ignores per_page: every list answer holds 12,000 jobs and
// every message list 12,000 rows.
func floodingUpstream(t *testing.T) http.Handler {
	const n = 12000
	job := func(i int) map[string]any {
		return map[string]any{
			"job_id": fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "action_type": "RELEASE",
			"action_params": map[string]any{"type": "RELEASE"}, "search_params": map[string]any{},
			"status": "PROCESSING", "total_messages_discovered": 10, "messages_pending": 5, "messages_successful": 5,
			"messages_failed": 0, "created_at": "2026-11-28T08:00:00Z",
		}
	}
	var jobs, msgs []any
	for i := range n {
		jobs = append(jobs, job(i))
		msgs = append(msgs, map[string]any{
			"message_id": fmt.Sprintf("10000000-0000-4000-8000-%012d", i), "action_type": "RELEASE", "status": "PENDING",
			"action_params": map[string]any{"type": "RELEASE", "client_recipient": "a@example.com"}, "created_at": "2026-11-28T08:00:00Z",
		})
	}
	// The answers are encoded once: the test measures the dashboard, not
	// the encoder.
	encode := func(result any, list bool) []byte {
		env := map[string]any{"success": true, "errors": []any{}, "messages": []any{}, "result": result}
		if list {
			env["result_info"] = map[string]any{"count": n, "per_page": n}
		}
		b, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	jobList, msgList, one := encode(jobs, true), encode(msgs, true), encode(job(0), false)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/messages"):
			w.Write(msgList)
		case strings.HasSuffix(r.URL.Path, "/bulk"):
			w.Write(jobList)
		default:
			w.Write(one)
		}
	})
}

// TestUpstreamIgnoringPerPage: a page never shows more rows than it asked
// for, and says that Cloudflare sent more.
// Not parallel: decoding 12,000 rows keeps a core busy for a while, which
// would slow the package's timed tests running beside it.
func TestUpstreamIgnoringPerPage(t *testing.T) {
	app := webtest.New(t, webtest.Options{Upstream: floodingUpstream(t)})
	// Decoding 12,000 rows takes seconds under -race on a busy machine: the
	// page budget is not what this test is about.
	app.Handler.UpstreamTimeout = time.Minute
	c := app.Login(t, webtest.Responder)
	list := "/accounts/" + webtest.Account + "/jobs?per_page=50"
	for _, htmx := range []bool{false, true} {
		resp, body := app.Get(t, c, list, htmx)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", list, resp.StatusCode)
		}
		d := doc(t, body)
		if n := d.Find(`[data-testid="job-card"]`).Length(); n != 50 {
			t.Errorf("GET %s (htmx %v): %d cards, want 50", list, htmx, n)
		}
		want := "Cloudflare returned 12,000 jobs for a page of 50; showing the first 50."
		if got := strings.TrimSpace(d.Find(`[data-testid="list-capped"]`).Text()); got != want {
			t.Errorf("GET %s (htmx %v): notice %q, want %q", list, htmx, got, want)
		}
		if len(body) > 1<<20 {
			t.Errorf("GET %s (htmx %v): %d bytes", list, htmx, len(body))
		}
	}
	job := "/accounts/" + webtest.Account + "/jobs/00000000-0000-4000-8000-000000000000"
	for _, p := range []struct {
		path string
		htmx bool
	}{{job, false}, {job + "/messages", true}} {
		_, body := app.Get(t, c, p.path, p.htmx)
		d := doc(t, body)
		if n := d.Find(`[data-testid="message-row"]`).Length(); n != 50 {
			t.Errorf("GET %s: %d message rows, want 50", p.path, n)
		}
		want := "Cloudflare returned 12,000 messages for a page of 50; showing the first 50."
		if got := strings.TrimSpace(d.Find(`[data-testid="messages-capped"]`).Text()); got != want {
			t.Errorf("GET %s: notice %q, want %q", p.path, got, want)
		}
	}
	// An upstream that keeps to per_page gets no notice.
	sim := webtest.New(t, webtest.Options{})
	_, body := sim.Get(t, sim.Login(t, webtest.Responder), "/accounts/"+webtest.Account+"/jobs?per_page=20", false)
	if d := doc(t, body); d.Find(`[data-testid="list-capped"]`).Length() != 0 || d.Find(`[data-testid="job-card"]`).Length() == 0 {
		t.Error("the simulator's list has a capped-page notice, or no cards")
	}
}
