package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/respond/bulkjobs/web/webtest"
)

// unmask reverses the pages' CSRF masking (pad ‖ pad XOR token, base64url).
func unmask(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || len(b)%2 != 0 {
		t.Fatalf("token %q is not masked", s)
	}
	n := len(b) / 2
	out := make([]byte, n)
	for i := range n {
		out[i] = b[i] ^ b[n+i]
	}
	return string(out)
}

// pageTokens returns every CSRF token of a page: the form fields and the
// X-CSRF-Token of hx-headers.
func pageTokens(t *testing.T, where, body string) []string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	doc.Find(`input[name="csrf"]`).Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("value", "")) })
	doc.Find(`[hx-headers]`).Each(func(_ int, s *goquery.Selection) {
		var h map[string]string
		if err := json.Unmarshal([]byte(s.AttrOr("hx-headers", "")), &h); err != nil {
			t.Errorf("%s: hx-headers: %v", where, err)
		}
		if v, ok := h["X-CSRF-Token"]; ok {
			out = append(out, v)
		}
	})
	return out
}

// TestCSRFTokenIsMaskedInEveryAnswer: answers are compressed, and the audit
// page reflects a filter the attacker may choose (BREACH's ingredients), so
// the CSRF token is never written as it is: every copy on every page is
// masked with a pad of its own answer (no two answers share a copy), the
// token itself appears in no body, and each copy is accepted while a changed
// one is not.
func TestCSRFTokenIsMaskedInEveryAnswer(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	admin := app.Login(t, webtest.Admin)
	job := "/accounts/" + secAccount + "/jobs/" + secJob
	const guess = "csrf=AbCdEfGh"
	pages := []struct {
		path string
		htmx bool
	}{
		{"/accounts", false}, {"/accounts/" + secAccount + "/jobs", false}, {job, false}, {job + "/cancel-dialog", true},
		{"/credentials", false}, {"/account", false}, {"/audit?email=" + url.QueryEscape(guess), false}, {"/no/such/page", false},
	}
	var raw string
	seen := map[string]string{} // masked token → the answer it was in
	for round := range 2 {
		for _, p := range pages {
			where := p.path + " (fetch " + string(rune('1'+round)) + ")"
			_, body := app.Get(t, admin, p.path, p.htmx)
			if p.path == pages[6].path && !strings.Contains(body, guess) {
				t.Errorf("the audit page no longer reflects its filter; this test needs another reflecting page")
			}
			var tokens []string
			for _, tok := range pageTokens(t, p.path, body) {
				if tok != "" { // the 404 page has no session, so no token
					tokens = append(tokens, tok)
				}
			}
			if len(tokens) == 0 && p.path != "/no/such/page" {
				t.Errorf("%s: no CSRF token", where)
			}
			mine := map[string]bool{}
			for _, tok := range tokens {
				if raw == "" {
					raw = unmask(t, tok)
				}
				if got := unmask(t, tok); got != raw {
					t.Errorf("%s: a token unmasks to another secret", where)
				}
				if other, dup := seen[tok]; dup && !mine[tok] {
					t.Errorf("%s: the same masked token as %s", where, other)
				}
				seen[tok], mine[tok] = where, true
			}
			if raw != "" && strings.Contains(body, raw) {
				t.Errorf("%s: the unmasked token is in the body", where)
			}
		}
	}
	if len(raw) < 32 {
		t.Fatalf("session token %q is too short", raw)
	}

	// Every masked copy works; a changed one and another session's do not.
	_, body := app.Get(t, admin, "/credentials", false)
	tok := pageTokens(t, "/credentials", body)[0]
	creds, err := app.Store.Credentials(context.Background(), app.Users[webtest.Admin].ID)
	if err != nil || len(creds) == 0 {
		t.Fatalf("credentials: %v", err)
	}
	post := func(token string) int {
		resp, _ := app.HTMXPostToken(t, admin, token, "/credentials", "/credentials/"+creds[0].ID+"/test", url.Values{})
		return resp.StatusCode
	}
	for name, tc := range map[string]struct {
		token string
		ok    bool
	}{
		"masked":             {tok, true},
		"unmasked (old tab)": {raw, true},
		"one byte changed":   {tok[:10] + flip(tok[10]) + tok[11:], false},
		"pad only":           {tok[:len(tok)/2], false},
		"another session's":  {pageTokens(t, "/login", mustGet(t, app, app.Browser(t), "/login"))[0], false},
	} {
		status := post(tc.token)
		if refused := status == http.StatusForbidden; refused == tc.ok {
			t.Errorf("%s token: status %d", name, status)
		}
	}
}

// flip changes one base64url character into another.
func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}
