package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// serve asks Handler for path (as under /static/, prefix stripped).
func serve(t *testing.T, method, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "/", nil)
	req.URL.Path = path
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	return rec
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

var hashedURL = regexp.MustCompile(`^/static/(css|js|img)/[a-z.]+\.[0-9a-f]{8}\.(css|js|svg)$`)

// TestPathIsHashed: Path names each linked file by its content hash and an
// unknown name comes back unhashed.
func TestPathIsHashed(t *testing.T) {
	for _, name := range []string{"css/app.css", "js/app.js", "js/htmx.min.js", "img/favicon.svg"} {
		p := Path(name)
		if !hashedURL.MatchString(p) {
			t.Errorf("Path(%q) = %q, want /static/<dir>/<name>.<8 hex>.<ext>", name, p)
		}
	}
	if got := Path("js/htmx.min.js"); got != "/static/js/htmx.min."+htmxSHA256[:8]+".js" {
		t.Errorf("htmx path %q does not carry its sha256 %s…", got, htmxSHA256[:8])
	}
	if got := Path("nope.css"); got != "/static/nope.css" {
		t.Errorf("unknown name: %q", got)
	}
}

// TestHashedAssetsAreImmutableAndCompressed: under its hashed name every
// file is cached for a year with a strong ETag; a client that accepts gzip
// gets the copy compressed at start-up (the favicon is too small to gain),
// decoding to exactly the embedded bytes; one that does not gets the bytes.
func TestHashedAssetsAreImmutableAndCompressed(t *testing.T) {
	for _, name := range []string{"css/app.css", "js/app.js", "js/htmx.min.js", "img/favicon.svg"} {
		want, _ := fs.ReadFile(FS, name)
		path := strings.TrimPrefix(Path(name), "/static")
		for ae, accepts := range map[string]bool{"": false, "gzip": true, "gzip, deflate, br, zstd": true,
			"br;q=1, gzip;q=0.5": true, "gzip;q=0, br": false, "identity": false, "GZIP ; Q=0.000": false} {
			rec := serve(t, http.MethodGet, path, map[string]string{"Accept-Encoding": ae})
			h := rec.Header()
			where := name + " (Accept-Encoding " + ae + ")"
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d", where, rec.Code)
			}
			if got := h.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("%s: Cache-Control %q", where, got)
			}
			if et := h.Get("ETag"); !strings.HasPrefix(et, `"`) || len(et) < 66 {
				t.Errorf("%s: ETag %q, want a strong one over the sha256", where, et)
			}
			gz := accepts && name != "img/favicon.svg"
			if got := h.Get("Content-Encoding") == "gzip"; got != gz {
				t.Errorf("%s: gzip = %v, want %v", where, got, gz)
			}
			body := rec.Body.Bytes()
			if gz {
				if len(body) >= len(want)*4/5 {
					t.Errorf("%s: %d bytes compressed for %d", where, len(body), len(want))
				}
				body = gunzip(t, body)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("%s: body differs from the embedded file", where)
			}
			if name != "img/favicon.svg" && !strings.Contains(h.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s: Vary %q", where, h.Get("Vary"))
			}
			if ct := h.Get("Content-Type"); ct == "" || strings.Contains(ct, "octet") {
				t.Errorf("%s: Content-Type %q", where, ct)
			}
		}
	}
}

// TestConditionalRequests: If-None-Match with the ETag answers an empty 304,
// under the hashed and the plain name, per representation; the plain name is
// cached briefly.
func TestConditionalRequests(t *testing.T) {
	for _, path := range []string{strings.TrimPrefix(Path("css/app.css"), "/static"), "/css/app.css"} {
		for _, ae := range []string{"", "gzip"} {
			first := serve(t, http.MethodGet, path, map[string]string{"Accept-Encoding": ae})
			etag := first.Header().Get("ETag")
			rec := serve(t, http.MethodGet, path, map[string]string{"Accept-Encoding": ae, "If-None-Match": etag})
			if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
				t.Errorf("%s (%q) If-None-Match %s: %d with %d bytes, want an empty 304", path, ae, etag, rec.Code, rec.Body.Len())
			}
			if rec.Header().Get("ETag") != etag || rec.Header().Get("Content-Encoding") != "" {
				t.Errorf("%s: 304 headers %v", path, rec.Header())
			}
			if rec := serve(t, http.MethodGet, path, map[string]string{"Accept-Encoding": ae, "If-None-Match": `"stale"`}); rec.Code != http.StatusOK {
				t.Errorf("%s: stale ETag answered %d", path, rec.Code)
			}
		}
		gzTag := serve(t, http.MethodGet, path, map[string]string{"Accept-Encoding": "gzip"}).Header().Get("ETag")
		if rec := serve(t, http.MethodGet, path, map[string]string{"If-None-Match": gzTag}); rec.Code != http.StatusOK {
			t.Errorf("%s: the gzip ETag validated the identity copy (%d)", path, rec.Code)
		}
	}
	if got := serve(t, http.MethodGet, "/css/app.css", nil).Header().Get("Cache-Control"); got != "public, max-age=300" {
		t.Errorf("plain name Cache-Control %q", got)
	}
	if rec := serve(t, http.MethodHead, "/js/app.js", nil); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d with %d bytes", rec.Code, rec.Body.Len())
	}
}

// TestWrongHashIsNotFound: a hashed name whose hash is not the file's (an
// old build's page, a guess) is a 404, never other bytes under that name.
func TestWrongHashIsNotFound(t *testing.T) {
	good := strings.TrimPrefix(Path("css/app.css"), "/static")
	for _, p := range []string{"/css/app.00000000.css", "/css/app.deadbeef.css", strings.Replace(good, ".css", "0.css", 1),
		"/css/app." + htmxSHA256[:8] + ".css", "/js/htmx.min.00000000.js"} {
		if rec := serve(t, http.MethodGet, p, nil); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
}

// TestEveryEmbeddedFileHasTwoNames: each file of FS is served under its own
// name and its hashed one, and nothing else is.
func TestEveryEmbeddedFileHasTwoNames(t *testing.T) {
	c := assets()
	n := 0
	_ = fs.WalkDir(FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		if a := c.byName[name]; a == nil || c.byHashed[a.hashed] != a {
			t.Errorf("%s: not in the catalogue under both names", name)
		}
		return nil
	})
	if len(c.byName) != n || len(c.byHashed) != n {
		t.Errorf("catalogue has %d/%d names for %d files", len(c.byName), len(c.byHashed), n)
	}
}
