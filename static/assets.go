package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// Cache lifetimes. A hashed URL names exact bytes, so browsers may keep it
// for a year without asking again; an unhashed URL (old pages, bookmarks,
// scripts) may change at the next deploy, so it is kept briefly and then
// revalidated with its ETag.
const (
	immutableCache = "public, max-age=31536000, immutable"
	plainCache     = "public, max-age=300"
)

// minGzipSize is the smallest file worth compressing: below it the gzip
// header and a round trip's worth of packets gain nothing. It matches the
// dynamic responses' threshold in web.
const minGzipSize = 1024

// hashLen is how many hex digits of the SHA-256 go into a hashed name: 32
// bits tell one build's file from the next; the ETag carries the full sum.
const hashLen = 8

// asset is one embedded file, read, hashed and compressed once.
type asset struct {
	name   string // path in FS: "css/app.css"
	hashed string // "css/app.3f2a9c1b.css"
	ctype  string
	body   []byte
	etag   string // strong, over the bytes of body
	gz     []byte // body at gzip's best compression; nil when it does not pay
	gzETag string // strong, for the gzip representation
}

// catalog maps both names of every file to its asset.
type catalog struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

// assets is built on first use (web.New asks for the handler at start-up,
// so the work is done before the first request).
var assets = sync.OnceValue(func() *catalog {
	c, err := load(FS)
	if err != nil {
		panic("static: " + err.Error()) // the embedded files are part of the binary
	}
	return c
})

// load reads every file of fsys.
func load(fsys fs.FS) (*catalog, error) {
	c := &catalog{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		a := newAsset(name, body)
		c.byName[a.name], c.byHashed[a.hashed] = a, a
		return nil
	})
	return c, err
}

// newAsset hashes body and compresses it when that pays.
func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	a := &asset{name: name, hashed: hashedName(name, hexSum[:hashLen]), body: body, etag: `"` + hexSum + `"`}
	a.ctype = mime.TypeByExtension(path.Ext(name))
	if a.ctype == "" {
		a.ctype = http.DetectContentType(body)
	}
	if len(body) >= minGzipSize && compressible(a.ctype) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
		_, _ = zw.Write(body)                                    // a bytes.Buffer does not fail
		_ = zw.Close()
		if buf.Len() < len(body)*9/10 {
			a.gz, a.gzETag = buf.Bytes(), `"`+hexSum+`-gzip"`
		}
	}
	return a
}

// hashedName puts hash before the last extension: js/htmx.min.js becomes
// js/htmx.min.<hash>.js.
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

// compressible reports whether a type is text that gzip shrinks; images
// other than SVG, fonts and archives are compressed already.
func compressible(ctype string) bool {
	mt, _, _ := mime.ParseMediaType(ctype)
	return strings.HasPrefix(mt, "text/") || mt == "image/svg+xml" || mt == "application/json" ||
		mt == "application/javascript" || mt == "application/manifest+json"
}

// Path returns the URL of an embedded file with its content hash in the
// name, for pages to link: Path("css/app.css") is
// "/static/css/app.3f2a9c1b.css". That URL is cached for a year; a new
// build with other bytes has another URL. An unknown name is returned
// unhashed (a test checks that every link of the layout is hashed).
func Path(name string) string {
	if a, ok := assets().byName[name]; ok {
		return "/static/" + a.hashed
	}
	return "/static/" + name
}

// Handler serves the embedded files for a path with /static/ stripped:
// under its hashed name a file is immutable for a year, under its own name
// it is kept five minutes and then revalidated (If-None-Match answers 304).
// Both have a strong ETag. A client that accepts gzip gets the copy
// compressed at start-up. A directory, an unknown file and a hashed name
// whose hash is not the file's are 404s: a hash names exact bytes, and
// other bytes are never served under it.
func Handler() http.Handler {
	c := assets()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		cache := immutableCache
		a, ok := c.byHashed[name]
		if !ok {
			a, ok = c.byName[name]
			cache = plainCache
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", cache)
		h.Set("Content-Type", a.ctype)
		body, etag := a.body, a.etag
		if a.gz != nil {
			h.Add("Vary", "Accept-Encoding")
			if acceptsGzip(r.Header.Values("Accept-Encoding")) {
				body, etag = a.gz, a.gzETag
				h.Set("Content-Encoding", "gzip")
			}
		}
		h.Set("ETag", etag)
		// ServeContent answers If-None-Match with 304, HEAD and ranges.
		http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(body))
	})
}

// acceptsGzip reports whether Accept-Encoding lists gzip (or x-gzip) with a
// q-value above zero.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "x-gzip" {
				continue
			}
			return !zeroQ(params)
		}
	}
	return false
}

// zeroQ reports whether params (after the coding's ";") say q=0.
func zeroQ(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			v = strings.TrimRight(strings.TrimSpace(v), "0")
			return v == "" || v == "0." || v == "0"
		}
	}
	return false
}
