package static

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// htmxSHA256 is the checksum recorded in js/VENDORED.md.
const htmxSHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(FS, name)
	if err != nil {
		t.Fatalf("embedded %s: %v", name, err)
	}
	return string(b)
}

func TestEmbeddedFiles(t *testing.T) {
	for _, name := range []string{"css/app.css", "js/app.js", "js/htmx.min.js", "js/htmx.LICENSE", "js/VENDORED.md"} {
		read(t, name)
	}
}

func TestVendoredHTMX(t *testing.T) {
	sum := sha256.Sum256([]byte(read(t, "js/htmx.min.js")))
	if got := hex.EncodeToString(sum[:]); got != htmxSHA256 {
		t.Errorf("htmx.min.js sha256 = %s, want %s (update js/VENDORED.md when upgrading)", got, htmxSHA256)
	}
	if !strings.Contains(read(t, "js/VENDORED.md"), htmxSHA256) {
		t.Error("VENDORED.md does not record the checksum")
	}
	if !strings.Contains(read(t, "js/htmx.LICENSE"), "Zero-Clause BSD") {
		t.Error("htmx licence missing")
	}
}

func TestAppJS(t *testing.T) {
	js := read(t, "js/app.js")
	for _, want := range []string{"'use strict'", "htmx:confirm", "visibilitychange", "showModal", "navigator.clipboard", "data-open-dialog", "data-close-dialog", "data-copy"} {
		if !strings.Contains(js, want) {
			t.Errorf("app.js lacks %q", want)
		}
	}
	for _, bad := range []string{"eval(", "new Function", "innerHTML", "outerHTML =", "insertAdjacentHTML", "document.write", ".style."} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js contains %q", bad)
		}
	}
	if !strings.Contains(js, "(function () {") || !strings.HasSuffix(strings.TrimSpace(js), "})();") {
		t.Error("app.js is not one IIFE")
	}
}

// TestBadgeContrast checks that each text/background pair of app.css meets
// WCAG AA (4.5:1) in light and dark mode.
func TestBadgeContrast(t *testing.T) {
	css := read(t, "css/app.css")
	i := strings.Index(css, "@media (prefers-color-scheme: dark)")
	if i < 0 {
		t.Fatal("app.css has no dark mode")
	}
	modes := map[string]map[string]string{"light": vars(css[:i]), "dark": vars(css[i:])}
	pairs := [][2]string{
		{"text", "bg"}, {"text", "surface"}, {"muted", "surface"}, {"muted", "bg"},
		{"link", "surface"}, {"link", "bg"}, {"on-danger", "danger"}, {"surface", "accent"},
		{"text", "alert-error-bg"}, {"text", "alert-ok-bg"}, {"text", "alert-info-bg"}, {"text", "alert-warning-bg"},
		{"badge-failed-fg", "surface"}, {"badge-ok-fg", "surface"},
	}
	for _, s := range []string{"pending", "running", "ok", "failed", "cancelled", "skipped", "unknown"} {
		pairs = append(pairs, [2]string{"badge-" + s + "-fg", "badge-" + s + "-bg"})
	}
	for mode, v := range modes {
		for _, p := range pairs {
			fg, bg := v[p[0]], v[p[1]]
			if fg == "" || bg == "" {
				t.Errorf("%s: --%s or --%s missing", mode, p[0], p[1])
				continue
			}
			if r := contrast(fg, bg); r < 4.5 {
				t.Errorf("%s: --%s %s on --%s %s contrast %.2f, want ≥ 4.5", mode, p[0], fg, p[1], bg, r)
			}
		}
	}
}

var varRE = regexp.MustCompile(`--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})\s*;`)

func vars(css string) map[string]string {
	m := map[string]string{}
	for _, s := range varRE.FindAllStringSubmatch(css, -1) {
		if _, ok := m[s[1]]; !ok {
			m[s[1]] = s[2]
		}
	}
	return m
}

func luminance(hex string) float64 {
	var l [3]float64
	for i := range 3 {
		n, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(n) / 255
		if c <= 0.04045 {
			l[i] = c / 12.92
		} else {
			l[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// TestHandlerServesFilesNotDirectories: every directory is a 404, never a
// listing of its files.
func TestHandlerServesFilesNotDirectories(t *testing.T) {
	h := Handler()
	for path, want := range map[string]int{
		"/js/app.js": http.StatusOK, "/css/app.css": http.StatusOK, "/img/favicon.svg": http.StatusOK,
		"/": http.StatusNotFound, "": http.StatusNotFound, "/js/": http.StatusNotFound, "/js": http.StatusNotFound,
		"/css/": http.StatusNotFound, "/img/": http.StatusNotFound, "/nope.js": http.StatusNotFound,
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = path
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("GET %q = %d, want %d", path, rec.Code, want)
		}
		if body := rec.Body.String(); want != http.StatusOK && (strings.Contains(body, "app.js") || strings.Contains(body, "<a href")) {
			t.Errorf("GET %q lists files: %.200s", path, body)
		}
	}
}
