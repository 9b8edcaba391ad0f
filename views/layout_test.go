package views

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
	"github.com/respond/bulkjobs/static"
)

func TestLayoutHXHeadersIsJSON(t *testing.T) {
	tokens := []string{
		"tok-123",
		`a"b'c`,
		`"},"X-Other":"1`,
		`</script><script>alert(1)</script>`,
		`\u0022 & <>`,
	}
	for _, tok := range tokens {
		p := testPage()
		p.CSRFToken = tok
		doc := parse(t, Layout(p))
		raw, ok := doc.Find("body").Attr("hx-headers")
		if !ok {
			t.Fatalf("token %q: body has no hx-headers", tok)
		}
		var got map[string]string
		if err := json.Unmarshal([]byte(raw), &got); err != nil {
			t.Fatalf("token %q: hx-headers %q is not JSON: %v", tok, raw, err)
		}
		if diff := cmp.Diff(map[string]string{"X-CSRF-Token": tok}, got); diff != "" {
			t.Errorf("token %q: hx-headers (-want +got):\n%s", tok, diff)
		}
		if got := doc.Find(`form[action="/logout"] input[name="csrf"]`).AttrOr("value", ""); got != tok {
			t.Errorf("logout csrf = %q, want %q", got, tok)
		}
	}
}

func TestLayoutHTMXConfig(t *testing.T) {
	doc := parse(t, Layout(testPage()))
	raw := doc.Find(`meta[name="htmx-config"]`).AttrOr("content", "")
	var cfg struct {
		AllowEval              *bool `json:"allowEval"`
		AllowScriptTags        *bool `json:"allowScriptTags"`
		HistoryCacheSize       *int  `json:"historyCacheSize"`
		IncludeIndicatorStyles *bool `json:"includeIndicatorStyles"`
		SelfRequestsOnly       *bool `json:"selfRequestsOnly"`
		ResponseHandling       []struct {
			Code  string `json:"code"`
			Swap  bool   `json:"swap"`
			Error *bool  `json:"error"`
		} `json:"responseHandling"`
	}
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatalf("htmx-config %q: %v", raw, err)
	}
	if cfg.AllowEval == nil || *cfg.AllowEval || cfg.AllowScriptTags == nil || *cfg.AllowScriptTags {
		t.Errorf("allowEval/allowScriptTags must be false: %s", raw)
	}
	if cfg.HistoryCacheSize == nil || *cfg.HistoryCacheSize != 0 {
		t.Errorf("historyCacheSize must be 0: %s", raw)
	}
	if cfg.SelfRequestsOnly == nil || !*cfg.SelfRequestsOnly || cfg.IncludeIndicatorStyles == nil || *cfg.IncludeIndicatorStyles {
		t.Errorf("selfRequestsOnly must be true and includeIndicatorStyles false: %s", raw)
	}
	swaps := map[string]bool{}
	for _, r := range cfg.ResponseHandling {
		swaps[r.Code] = r.Swap
		if r.Code == "[45].." && (r.Error == nil || *r.Error) {
			t.Errorf("4xx/5xx must be swapped without error: %s", raw)
		}
	}
	if diff := cmp.Diff(map[string]bool{"204": false, "[23]..": true, "[45]..": true, "...": false}, swaps); diff != "" {
		t.Errorf("responseHandling (-want +got):\n%s", diff)
	}
}

func TestLayoutHead(t *testing.T) {
	html := render(t, Layout(testPage()))
	if !strings.HasPrefix(strings.ToLower(html), "<!doctype html>") {
		t.Errorf("page starts %q, want a doctype", html[:min(len(html), 30)])
	}
	doc := parse(t, Layout(testPage()))
	if got := doc.Find("html").AttrOr("lang", ""); got != "en" {
		t.Errorf("lang = %q", got)
	}
	var srcs []string
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if _, ok := s.Attr("defer"); !ok {
			t.Errorf("script %q is not deferred", s.AttrOr("src", ""))
		}
		srcs = append(srcs, s.AttrOr("src", "INLINE"))
	})
	if diff := cmp.Diff([]string{static.Path("js/htmx.min.js"), static.Path("js/app.js")}, srcs); diff != "" {
		t.Errorf("scripts (-want +got):\n%s", diff)
	}
	if n := doc.Find(`link[rel="stylesheet"][href="` + static.Path("css/app.css") + `"]`).Length(); n != 1 {
		t.Errorf("stylesheet links = %d, want 1", n)
	}
	// Every asset is linked by its content-hashed name, on this origin.
	hashed := regexp.MustCompile(`^/static/[a-z]+/[a-z.]+\.[0-9a-f]{8}\.[a-z]+$`)
	doc.Find("link[href], script[src], img[src]").Each(func(_ int, s *goquery.Selection) {
		if ref := s.AttrOr("href", s.AttrOr("src", "")); !hashed.MatchString(ref) {
			t.Errorf("<%s> links %q, want a hashed /static/ URL", goquery.NodeName(s), ref)
		}
	})
	if n := doc.Find("[style], style").Length(); n != 0 {
		t.Errorf("inline styles = %d, want 0 (CSP style-src 'self')", n)
	}
	if got := doc.Find("a.skip-link").AttrOr("href", ""); got != "#main" || doc.Find("main#main").Length() != 1 {
		t.Errorf("skip link = %q, want #main pointing at <main id=main>", got)
	}
	flash := doc.Find("#flash")
	if flash.AttrOr("role", "") != "status" || flash.AttrOr("aria-live", "") != "polite" {
		t.Errorf("#flash attrs = %v", flash.Nodes[0].Attr)
	}
}

func TestLayoutNav(t *testing.T) {
	tests := []struct {
		name      string
		nav       string
		admin     bool
		wantLinks []string
		current   string
	}{
		{"responder on jobs", "jobs", false, []string{"Jobs", "Credentials", "My activity"}, "Jobs"},
		{"accounts counts as jobs", "accounts", false, []string{"Jobs", "Credentials", "My activity"}, "Jobs"},
		{"admin on audit", "audit", true, []string{"Jobs", "Credentials", "Audit log"}, "Audit log"},
		{"responder on own activity", "audit", false, []string{"Jobs", "Credentials", "My activity"}, "My activity"},
		{"credentials", "credentials", false, []string{"Jobs", "Credentials", "My activity"}, "Credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPage()
			p.Nav = tt.nav
			p.User.Admin = tt.admin
			doc := parse(t, Layout(p))
			var links []string
			doc.Find("nav.site-nav a").Each(func(_ int, s *goquery.Selection) { links = append(links, s.Text()) })
			if diff := cmp.Diff(tt.wantLinks, links); diff != "" {
				t.Errorf("nav (-want +got):\n%s", diff)
			}
			cur := doc.Find(`nav.site-nav a[aria-current="page"]`)
			if cur.Length() != 1 || cur.Text() != tt.current {
				t.Errorf("aria-current on %d links (%q), want only %q", cur.Length(), cur.Text(), tt.current)
			}
			if got := doc.Find(`[data-testid="user-email"]`).Text(); got != "ana@example.com" {
				t.Errorf("email = %q", got)
			}
		})
	}
}

func TestLayoutSignedOut(t *testing.T) {
	p := testPage()
	p.User = nil
	doc := parse(t, Layout(p))
	if n := doc.Find("nav.site-nav, form[action='/logout']").Length(); n != 0 {
		t.Errorf("signed-out page has %d nav/logout elements, want 0", n)
	}
}

func TestLayoutFlash(t *testing.T) {
	p := testPage()
	p.Flash = &Flash{Kind: "ok", Message: "Saved “Acme”."}
	doc := parse(t, Layout(p))
	msg := doc.Find("#flash p")
	if msg.Text() != "Saved “Acme”." || !msg.HasClass("flash-ok") {
		t.Errorf("flash = %q class %q", msg.Text(), msg.AttrOr("class", ""))
	}
}
