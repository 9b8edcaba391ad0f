package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/klauspost/compress/zstd"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

// wireCounter counts the bytes a client's connections read and write: what
// crosses the wire, status lines and headers included.
type wireCounter struct{ read, written atomic.Int64 }

type countingConn struct {
	net.Conn
	w *wireCounter
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.read.Add(int64(n))
	return n, err
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.written.Add(int64(n))
	return n, err
}

// wireClient is a client that sends Accept-Encoding itself (so Go's
// transport neither adds it nor decodes the answer) and counts the bytes.
// It shares jar with a signed-in client.
func wireClient(jar http.CookieJar) (*http.Client, *wireCounter) {
	w := &wireCounter{}
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{DisableCompression: true, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, w}, nil
	}}
	return &http.Client{Jar: jar, Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, w
}

// fetched is one response as a browser would receive it.
type fetched struct {
	resp    *http.Response
	wire    int64  // bytes read from the connection for this response
	body    []byte // as sent (maybe gzip)
	decoded []byte // after Content-Encoding
}

// get fetches path with the browser's Accept-Encoding (none when ae is "").
func get(t *testing.T, c *http.Client, w *wireCounter, base, path, ae string, hdr map[string]string) fetched {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if ae != "" {
		req.Header.Set("Accept-Encoding", ae)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	before := w.read.Load()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	f := fetched{resp: resp, wire: w.read.Load() - before, body: body, decoded: body}
	switch ce := resp.Header.Get("Content-Encoding"); ce {
	case "":
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("GET %s: gzip: %v", path, err)
		}
		if f.decoded, err = io.ReadAll(zr); err != nil {
			t.Fatalf("GET %s: gunzip: %v", path, err)
		}
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("GET %s: zstd: %v", path, err)
		}
		defer zr.Close()
		if f.decoded, err = io.ReadAll(zr); err != nil {
			t.Fatalf("GET %s: unzstd: %v", path, err)
		}
	default:
		t.Fatalf("GET %s: Content-Encoding %q", path, ce)
	}
	return f
}

// seedJobs adds n running jobs to the demo account: each card of the list
// then carries its cancel dialog, the heaviest list there is.
func seedJobs(t *testing.T, app *webtest.App, n int) {
	t.Helper()
	for i := range n {
		created := time.Date(2026, 11, 1, 0, i, 0, 0, time.UTC)
		comment := fmt.Sprintf("phishing wave %d: remove from inboxes", i)
		j := cfsim.SeedJob{
			ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Account: webtest.Account, Action: "MOVE",
			Destination: "JunkEmail", Comment: &comment, CreatedAt: &created, StartedAt: &created,
			Status: "PROCESSING", TotalDiscovered: 1200, Pending: 600, Successful: 595, Failed: 5,
		}
		if err := app.Sim.AddJob(webtest.Account, j); err != nil {
			t.Fatal(err)
		}
	}
}

// firstLoad loads path like a browser with an empty cache: the page, then
// every same-origin stylesheet, script and icon it references. It fails on a
// reference to another host.
type loadReport struct {
	requests             int
	total, html, assets  int64 // bytes on the wire, headers included
	htmlBody, assetsBody int64 // bodies as sent
	htmlDecoded          int64
	assetURLs            []string
}

func firstLoad(t *testing.T, app *webtest.App, c *http.Client, w *wireCounter, path, ae string) loadReport {
	t.Helper()
	var r loadReport
	page := get(t, c, w, app.URL, path, ae, nil)
	if page.resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", path, page.resp.StatusCode)
	}
	r.requests, r.html, r.htmlBody, r.htmlDecoded = 1, page.wire, int64(len(page.body)), int64(len(page.decoded))
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page.decoded))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(app.URL + path)
	doc.Find(`link[href], script[src], img[src]`).Each(func(_ int, s *goquery.Selection) {
		ref := s.AttrOr("href", s.AttrOr("src", ""))
		if s.Is("link") && !strings.Contains(" icon stylesheet preload modulepreload ", " "+s.AttrOr("rel", "")+" ") {
			return
		}
		u, err := base.Parse(ref)
		if err != nil || u.Host != base.Host {
			t.Errorf("asset %q is not same-origin", ref)
			return
		}
		r.assetURLs = append(r.assetURLs, u.RequestURI())
	})
	for _, a := range r.assetURLs {
		f := get(t, c, w, app.URL, a, ae, nil)
		if f.resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", a, f.resp.StatusCode)
		}
		r.requests++
		r.assets += f.wire
		r.assetsBody += int64(len(f.body))
	}
	r.total = r.html + r.assets
	return r
}

// TestFirstLoadOnTheWire loads the 50-job list as a browser with an empty
// cache does and reports what crossed the wire (go test -v prints it). The
// goal is ≤ 60 KB in ≤ 5 requests from no other host. The list markup
// belongs to the live-update work, so only what this layer controls is
// asserted: the request count, same-origin hashed assets, their compressed
// size, and that the page is compressed at all.
func TestFirstLoadOnTheWire(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{RateLimit: -1})
	seedJobs(t, app, 45) // the demo account has 5
	signedIn := app.Login(t, webtest.Responder)
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(app.URL)
	jar.SetCookies(u, signedIn.Jar.Cookies(u))
	c, w := wireClient(jar)

	path := "/accounts/" + webtest.Account + "/jobs?per_page=50"
	if n := strings.Count(mustGet(t, app, signedIn, path), `data-testid="job-card"`); n != 50 {
		t.Fatalf("list shows %d cards, want 50", n)
	}
	// Chromium and Firefox accept zstd; Safari and older browsers gzip.
	for _, ae := range []string{"gzip, deflate, br, zstd", "gzip, deflate, br"} {
		r := firstLoad(t, app, c, w, path, ae)
		t.Logf("first load of a 50-job list (Accept-Encoding %s): %d requests, %.1f KB on the wire "+
			"(HTML %.1f KB: body %.1f KB as sent, %.1f KB decoded; assets %.1f KB: bodies %.1f KB); goal ≤ 60 KB in ≤ 5",
			ae, r.requests, kb(r.total), kb(r.html), kb(r.htmlBody), kb(r.htmlDecoded), kb(r.assets), kb(r.assetsBody))
		if r.requests > 5 {
			t.Errorf("%d requests, want ≤ 5", r.requests)
		}
		for _, a := range r.assetURLs {
			if !hashedAsset.MatchString(a) {
				t.Errorf("the page links %s, not a content-hashed /static/ URL", a)
			}
		}
		// The four assets compress to about 24.1 KB of bodies, plus about
		// 0.7 KB of headers each (most of it the CSP).
		if r.assets > 28<<10 {
			t.Errorf("assets %.1f KB on the wire, want ≤ 28 KB (compressed)", kb(r.assets))
		}
		if r.html*4 >= r.htmlDecoded {
			t.Errorf("the page was not compressed: %d bytes on the wire for %d decoded", r.html, r.htmlDecoded)
		}
	}
}

var hashedAsset = regexp.MustCompile(`^/static/[a-z]+/[a-z.]+\.[0-9a-f]{8}\.[a-z]+$`)

func kb(n int64) float64 { return float64(n) / 1024 }

// mustGet fetches path through a plain test client and returns its body.
func mustGet(t *testing.T, app *webtest.App, c *http.Client, path string) string {
	t.Helper()
	resp, body := app.Get(t, c, path, false)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", path, resp.StatusCode)
	}
	return body
}
