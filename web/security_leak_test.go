package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/respond/bulkjobs/web/webtest"
)

// leakToken is the credential the hostile upstream tries to leak.
const leakToken = "CANARY-h0stile-Q7wX2mZ9pL4kV8nB3cR6tY1uJ5"

// tokenPieces are what a hostile upstream echoes: the token, all but its last
// byte, all but its first, and nine bytes from the middle.
func tokenPieces(tok string) []string {
	return []string{tok, tok[:len(tok)-1], tok[1:], tok[16:25]}
}

// leakingUpstream copies the bearer token it receives into Cf-Ray (a
// different piece each request) and into every error message, error_chain
// and job text it sends. Reads of the job and the list succeed, a credential
// test (per_page=1) is refused with 403, the message rows fail with 502 and a
// cancel is refused with 400.
func leakingUpstream() http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pieces := tokenPieces(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		text := "bad credential " + strings.Join(pieces, " / ")
		w.Header().Set("Cf-Ray", pieces[int(n.Add(1))%len(pieces)])
		w.Header().Set("Content-Type", "application/json")
		fail := func(status int) {
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"success": false, "result": nil, "errors": []any{map[string]any{
				"code": 1000, "message": text, "error_chain": []any{map[string]any{"code": 1001, "message": pieces[1] + pieces[2]}}}}})
		}
		job := map[string]any{
			"job_id": secJob, "action_type": "MOVE", "action_params": map[string]any{"type": "MOVE", "destination": "DeletedItems"},
			"search_params": map[string]any{"subject": text}, "status": "PROCESSING", "total_messages_discovered": 10,
			"messages_pending": 5, "messages_successful": 5, "messages_failed": 0, "messages_skipped": 0, "messages_cancelled": 0,
			"created_at": "2026-11-28T08:00:00Z", "started_at": "2026-11-28T08:00:01Z", "comment": text, "status_message": text,
		}
		ok := func(result any, list bool) {
			env := map[string]any{"success": true, "errors": []any{}, "messages": []any{}, "result": result}
			if list {
				env["result_info"] = map[string]any{"count": 1, "per_page": 20}
			}
			json.NewEncoder(w).Encode(env)
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/cancel"):
			fail(http.StatusBadRequest)
		case strings.HasSuffix(r.URL.Path, "/messages"):
			fail(http.StatusBadGateway)
		case strings.HasSuffix(r.URL.Path, "/bulk") && r.URL.Query().Get("per_page") == "1":
			fail(http.StatusForbidden)
		case strings.HasSuffix(r.URL.Path, "/bulk"):
			ok([]any{job}, true)
		default:
			ok(job, false)
		}
	})
}

// TestHostileUpstreamCannotLeakTheToken runs the flows that show or store
// upstream text against an upstream that echoes pieces of the token, and
// searches the logs, the database files, the pages, the audit page and its
// CSV for any piece of 8 bytes or more.
func TestHostileUpstreamCannotLeakTheToken(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{Upstream: leakingUpstream()})
	rec := &recorder{next: http.DefaultTransport}
	c := app.Login(t, webtest.Nobody)
	c.Transport = rec
	readAll(t, app.PostForm(t, c, "/credentials", url.Values{"label": {"hostile"}, "account_id": {secAccount}, "kind": {"token"}, "token": {leakToken}}))
	job := "/accounts/" + secAccount + "/jobs/" + secJob
	for _, p := range []string{"/credentials", "/accounts/" + secAccount + "/jobs", job, job + "/card", job + "/messages"} {
		app.Get(t, c, p, false)
		app.Get(t, c, p, true)
	}
	_, card := app.HTMXPost(t, c, job, job+"/cancel", url.Values{"reason": {"stop it"}})
	if !strings.Contains(card, "Cloudflare refused the request") {
		t.Errorf("the cancel answer does not show Cloudflare's refusal: %s", card)
	}
	_, auditPage := app.Get(t, c, "/audit", false)
	_, csv := app.Get(t, c, "/audit.csv", false)

	places := map[string]string{"logs": app.Logs.String(), "responses": rec.buf.String(), "cancel card": card,
		"audit page": auditPage, "audit csv": csv}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(app.DBPath), "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		places["file "+filepath.Base(f)] = string(b)
	}
	for where, text := range places {
		for i := 0; i+8 <= len(leakToken); i++ {
			if strings.Contains(text, leakToken[i:i+8]) {
				t.Errorf("%s holds %q of the token", where, leakToken[i:i+8])
				break
			}
		}
	}
	// The hostile text did arrive, redacted: in the cancel's audit detail, in
	// the logs and on the card.
	for where, text := range map[string]string{"audit csv": csv, "logs": app.Logs.String(), "cancel card": card} {
		if !strings.Contains(text, "[redacted]") {
			t.Errorf("%s has no [redacted] marker: the hostile text did not get there", where)
		}
	}
	// Every Cf-Ray was malformed: none is logged as a Ray ID.
	rays := regexp.MustCompile(`"ray_id":"([^"]*)"`).FindAllStringSubmatch(app.Logs.String(), -1)
	if len(rays) == 0 {
		t.Error("no upstream failure was logged")
	}
	for _, m := range rays {
		if m[1] != "" {
			t.Errorf("a malformed Cf-Ray was logged as the Ray ID %q", m[1])
		}
	}
}
