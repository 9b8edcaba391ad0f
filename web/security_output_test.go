package web_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/respond/bulkjobs/web/webtest"
)

// hostile strings an upstream (or a compromised proxy) might return.
var hostile = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(2)>`,
	`javascript:alert(3)`,
	`" onmouseover="alert(4)`,
	`<div hx-get="/logout" hx-trigger="load">x</div>`,
	`{{ .Secret }} ${7*7}`,
}

// hostileUpstream speaks the Cloudflare envelope and puts hostile text in
// every free-text field: comment, status message, search parameters and the
// recipients of message rows.
func hostileUpstream(t *testing.T) http.Handler {
	text := strings.Join(hostile, " ")
	job := map[string]any{
		"job_id": secJob, "action_type": "MOVE",
		"action_params": map[string]any{"type": "MOVE", "destination": "DeletedItems"},
		"search_params": map[string]any{"subject": text, "sender": hostile[2], "query": hostile[1], "recipient": hostile[4],
			"domain": hostile[3], "alert_id": text, "message_id": text, "metric": text, "exact_subject": text, "detections_only": true},
		"status": "PROCESSING", "total_messages_discovered": 10, "messages_pending": 5, "messages_successful": 4, "messages_failed": 1,
		"messages_skipped": 0, "messages_cancelled": 0,
		"created_at": "2026-11-28T08:00:00Z", "started_at": "2026-11-28T08:00:01Z", "completed_at": nil,
		"comment": text, "status_message": text,
	}
	msg := map[string]any{
		"message_id": "c0a8e1f2-3b4c-4d5e-8f60-718293a4b5c6", "postfix_id": hostile[0], "action_type": "MOVE",
		"action_params": map[string]any{"type": "MOVE", "client_recipient": text, "destination": "DeletedItems"},
		"status":        "FAILED", "retry_count": 3, "created_at": "2026-11-28T08:00:02Z", "processed_at": "2026-11-28T08:00:03Z",
		"alert_id": nil, "email_message_id": hostile[1], "retry_after": nil, "status_message": text,
	}
	write := func(w http.ResponseWriter, result any, list bool) {
		env := map[string]any{"success": true, "errors": []any{}, "messages": []any{}, "result": result}
		if list {
			env["result_info"] = map[string]any{"count": 1, "per_page": 20, "total_count": 0, "page": 0}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(env)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/messages"):
			write(w, []any{msg}, true)
		case strings.HasSuffix(r.URL.Path, "/cancel"):
			cancelled := map[string]any{}
			for k, v := range job {
				cancelled[k] = v
			}
			cancelled["status"], cancelled["messages_pending"], cancelled["messages_cancelled"] = "CANCELLED", 0, 5
			write(w, cancelled, false)
		case strings.HasSuffix(r.URL.Path, "/bulk"):
			write(w, []any{job}, true)
		default:
			write(w, job, false)
		}
	})
}

// checkInert fails when markup carries anything executable that came from
// upstream text.
func checkInert(t *testing.T, where, body string) {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	d.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, ok := s.Attr("src"); !ok || !strings.HasPrefix(src, "/static/") {
			t.Errorf("%s: a script element that is not ours: %s", where, goquery.NodeName(s))
		}
	})
	d.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			k, v := strings.ToLower(a.Key), strings.ToLower(a.Val)
			if strings.HasPrefix(k, "on") {
				t.Errorf("%s: event handler attribute %s=%q", where, a.Key, a.Val)
			}
			if (k == "href" || k == "src" || k == "action" || strings.HasPrefix(k, "hx-")) && strings.Contains(v, "javascript:") {
				t.Errorf("%s: %s=%q", where, a.Key, a.Val)
			}
			if strings.HasPrefix(k, "hx-") && (strings.Contains(v, "alert") || strings.Contains(v, "logout") && k != "hx-post") {
				t.Errorf("%s: upstream text became an htmx attribute: %s=%q", where, a.Key, a.Val)
			}
		}
	})
	if d.Find("img").Length() != 0 {
		t.Errorf("%s: an img element appeared", where)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("%s: the hostile text is not shown escaped", where)
	}
}

func TestHostileUpstreamTextRendersInert(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{Upstream: hostileUpstream(t)})
	c := app.Login(t, webtest.Responder)
	job := "/accounts/" + secAccount + "/jobs/" + secJob
	for _, p := range []struct {
		path string
		htmx bool
	}{
		{"/accounts/" + secAccount + "/jobs", false},
		{"/accounts/" + secAccount + "/jobs", true},
		{job, false},
		{job + "?confirm=cancel", false},
		{job + "/card", true},
		{job + "/messages?status=FAILED", true},
	} {
		_, body := app.Get(t, c, p.path, p.htmx)
		checkInert(t, p.path, body)
	}
	_, body := app.HTMXPost(t, c, job, job+"/cancel", url.Values{"reason": {"=HYPERLINK(\"http://evil.example\") " + hostile[0]}})
	checkInert(t, "cancel answer", body)
	// The audit page and its CSV show the hostile reason inert too.
	_, body = app.Get(t, c, "/audit", false)
	checkInert(t, "audit page", body)
	_, csvBody := app.Get(t, c, "/audit.csv", false)
	if !strings.Contains(csvBody, "'=HYPERLINK") {
		t.Error("the formula-like reason is not in the CSV, neutralised")
	}
	if strings.Contains(csvBody, "\n=") || strings.Contains(csvBody, ",=") || strings.Contains(csvBody, ",\"=") {
		t.Error("CSV has a cell starting with =")
	}
}

// forbidden fails the test for every non-test source file (and .templ file)
// that contains one of banned. Generated templ code is left out: it is made
// from the .templ files, which are checked.
func forbidden(t *testing.T, banned []string) {
	t.Helper()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		name := d.Name()
		if d.IsDir() || strings.HasSuffix(name, "_templ.go") || strings.HasSuffix(name, "_test.go") ||
			!(strings.HasSuffix(name, ".go") || strings.HasSuffix(name, ".templ")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, ban := range banned {
			if strings.Contains(string(b), ban) {
				t.Errorf("%s uses %s", path, ban)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoUnsafeTemplateEscapes enforces that nothing bypasses templ's
// escaping: no templ.Raw, templ.SafeURL or JSUnsafeFuncCall outside tests.
func TestNoUnsafeTemplateEscapes(t *testing.T) {
	t.Parallel()
	forbidden(t, []string{"templ.Raw(", "templ.SafeURL(", "JSUnsafeFuncCall", "templ.SafeCSS(", "templ.URL("})
}

// TestNoRiskyEchoMiddleware backs the advisories accepted in
// .ci/govulncheck-accepted.txt: echo v4's Proxy and RateLimiter middleware
// are affected with no v4 fix, so neither may be used (nor the other
// middleware with known problems: BodyDump, Decompress, MethodOverride).
func TestNoRiskyEchoMiddleware(t *testing.T) {
	t.Parallel()
	// Symbol names, not package-qualified ones: an import alias must not hide them.
	forbidden(t, []string{"Proxy(", "ProxyWithConfig(", "RateLimiter(", "RateLimiterWithConfig(", "BodyDump(", "BodyDumpWithConfig(",
		"Decompress(", "DecompressWithConfig(", "MethodOverride(", "MethodOverrideWithConfig("})
}
