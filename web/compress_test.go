package web_test

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/static"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web/webtest"
)

// maskedToken matches a CSRF token as pages write it: masked afresh in every
// answer, so two fetches of one page differ there and nowhere else.
var maskedToken = regexp.MustCompile(`[A-Za-z0-9_-]{100,}`)

// normalize blanks what differs between two answers of the same page: the
// masked CSRF token and the request ID an error sentence names.
func normalize(b []byte) string {
	return reference.ReplaceAllString(maskedToken.ReplaceAllString(string(b), "TOKEN"), "(reference: ID)")
}

var reference = regexp.MustCompile(`\(reference: (<span class="mono">)?[A-Za-z0-9._-]+(</span>)?\)`)

// signedInWire returns a counting client sharing email's signed-in cookies.
func signedInWire(t *testing.T, app *webtest.App, email string) (*http.Client, *wireCounter) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	if email != "" {
		u, _ := url.Parse(app.URL)
		jar.SetCookies(u, app.Login(t, email).Jar.Cookies(u))
	}
	return wireClient(jar)
}

// TestDynamicAnswersAreCompressed: a page, an htmx fragment, the audit CSV,
// an error page and a 500 are sent in gzip to a client that accepts gzip
// (zstd to one that prefers it) and decode to what a client without
// Accept-Encoding gets as it is; that client gets no Content-Encoding, and
// every answer says Vary: Accept-Encoding.
func TestDynamicAnswersAreCompressed(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	app.Echo.GET("/test-panic", func(c echo.Context) error { panic("boom") })
	for i := range 40 {
		if err := app.Store.AddAudit(context.Background(), store.AuditEvent{UserID: app.Users[webtest.Admin].ID,
			UserEmail: webtest.Admin, Action: "login", Outcome: "ok", Detail: strings.Repeat("x", i)}); err != nil {
			t.Fatal(err)
		}
	}
	admin, w := signedInWire(t, app, webtest.Admin)
	anon, aw := signedInWire(t, app, "")
	job := "/accounts/" + secAccount + "/jobs/" + secJob
	htmx := map[string]string{"HX-Request": "true", "HX-Current-URL": app.URL + job}
	cases := []struct {
		name   string
		c      *http.Client
		w      *wireCounter
		path   string
		hdr    map[string]string
		status int
		ctype  string
	}{
		{"login page", anon, aw, "/login", nil, 200, "text/html"},
		{"job list", admin, w, "/accounts/" + secAccount + "/jobs", nil, 200, "text/html"},
		{"job page", admin, w, job, nil, 200, "text/html"},
		{"card fragment", admin, w, job + "/card", htmx, 200, "text/html"},
		{"audit CSV", admin, w, "/audit.csv", nil, 200, "text/csv"},
		{"404 page", admin, w, "/no/such/page", nil, 404, "text/html"},
		{"500 page", admin, w, "/test-panic", nil, 500, "text/html"},
	}
	for _, tc := range cases {
		plain := get(t, tc.c, tc.w, app.URL, tc.path, "", tc.hdr)
		if plain.resp.StatusCode != tc.status || !strings.HasPrefix(plain.resp.Header.Get("Content-Type"), tc.ctype) {
			t.Fatalf("%s: %d %q, want %d %s", tc.name, plain.resp.StatusCode, plain.resp.Header.Get("Content-Type"), tc.status, tc.ctype)
		}
		if ce := plain.resp.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("%s without Accept-Encoding: Content-Encoding %q", tc.name, ce)
		}
		if len(plain.body) < 1024 {
			t.Fatalf("%s: only %d bytes, below the compression threshold", tc.name, len(plain.body))
		}
		for ae, want := range map[string]string{"gzip": "gzip", "gzip, deflate, br, zstd": "gzip", "zstd;q=0.5, gzip": "gzip"} {
			f := get(t, tc.c, tc.w, app.URL, tc.path, ae, tc.hdr)
			where := tc.name + " (Accept-Encoding " + ae + ")"
			if f.resp.StatusCode != tc.status {
				t.Errorf("%s: %d", where, f.resp.StatusCode)
			}
			if ce := f.resp.Header.Get("Content-Encoding"); ce != want {
				t.Errorf("%s: Content-Encoding %q, want %s", where, ce, want)
				continue
			}
			if len(f.body) > len(f.decoded)*3/4 {
				t.Errorf("%s: %d bytes sent for %d", where, len(f.body), len(f.decoded))
			}
			if normalize(f.decoded) != normalize(plain.body) {
				t.Errorf("%s: decoded body differs from the plain one", where)
			}
			if !strings.Contains(strings.Join(f.resp.Header.Values("Vary"), ","), "Accept-Encoding") {
				t.Errorf("%s: Vary %q", where, f.resp.Header.Values("Vary"))
			}
			if f.resp.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("%s: security headers lost", where)
			}
		}
	}
}

// TestSmallAndEmptyAnswersAreNotCompressed: a body under a kilobyte is sent
// as it is; a 204 and a 304 stay empty, without Content-Encoding.
func TestSmallAndEmptyAnswersAreNotCompressed(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	app.Echo.GET("/test-204", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	app.Echo.GET("/test-304", func(c echo.Context) error {
		c.Response().Header().Set("ETag", `W/"v1"`)
		return c.NoContent(http.StatusNotModified)
	})
	c, w := signedInWire(t, app, "")
	for path, status := range map[string]int{"/healthz": 200, "/test-204": 204, "/test-304": 304} {
		f := get(t, c, w, app.URL, path, "gzip, deflate, br, zstd", nil)
		if f.resp.StatusCode != status || f.resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: %d, Content-Encoding %q", path, f.resp.StatusCode, f.resp.Header.Get("Content-Encoding"))
		}
		if status != 200 && len(f.body) != 0 {
			t.Errorf("%s: %d body bytes, want none", path, len(f.body))
		}
	}
}

// TestStaticAssetsThroughTheApp: every asset a page links is served under
// its hashed URL with the year-long immutable Cache-Control, compressed when
// that pays and decoding to the embedded bytes; If-None-Match answers 304;
// a wrong hash is a 404; the plain URL still works, briefly cached.
func TestStaticAssetsThroughTheApp(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c, w := signedInWire(t, app, "")
	for _, name := range []string{"css/app.css", "js/app.js", "js/htmx.min.js", "img/favicon.svg"} {
		want, _ := fs.ReadFile(static.FS, name)
		f := get(t, c, w, app.URL, static.Path(name), "gzip, deflate, br, zstd", nil)
		h := f.resp.Header
		if f.resp.StatusCode != 200 || h.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d, Cache-Control %q", name, f.resp.StatusCode, h.Get("Cache-Control"))
		}
		if gz := h.Get("Content-Encoding") == "gzip"; gz != (name != "img/favicon.svg") {
			t.Errorf("%s: Content-Encoding %q", name, h.Get("Content-Encoding"))
		}
		if !bytes.Equal(f.decoded, want) {
			t.Errorf("%s: decoded body differs from the embedded file", name)
		}
		if h.Get("Content-Security-Policy") == "" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: security headers missing", name)
		}
		again := get(t, c, w, app.URL, static.Path(name), "gzip, deflate, br, zstd", map[string]string{"If-None-Match": h.Get("ETag")})
		if again.resp.StatusCode != http.StatusNotModified || len(again.body) != 0 {
			t.Errorf("%s: If-None-Match answered %d with %d bytes", name, again.resp.StatusCode, len(again.body))
		}
		plain := get(t, c, w, app.URL, "/static/"+name, "", nil)
		if plain.resp.StatusCode != 200 || plain.resp.Header.Get("Cache-Control") != "public, max-age=300" || !bytes.Equal(plain.body, want) {
			t.Errorf("/static/%s: %d, Cache-Control %q", name, plain.resp.StatusCode, plain.resp.Header.Get("Cache-Control"))
		}
	}
	for _, p := range []string{"/static/css/app.00000000.css", "/static/js/app.ffffffff.js"} {
		if f := get(t, c, w, app.URL, p, "gzip", nil); f.resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, f.resp.StatusCode)
		}
	}
}
