package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxBody bounds what one answer may hold.
const maxBody = 16 << 20

var (
	errTooLarge = errors.New("answer larger than 16 MiB")
	errOffSite  = errors.New("URL outside the dashboard")
)

// browser is one analyst's browser: a cookie jar, at most six connections to
// the dashboard (as browsers allow per host), and a cache of static assets
// shared by its tabs.
type browser struct {
	base   *url.URL
	client *http.Client
	rec    *recorder
	assets assetCache
}

func newBrowser(base string, rec *recorder) (*browser, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{
		MaxConnsPerHost: 6, MaxIdleConnsPerHost: 6, IdleConnTimeout: 90 * time.Second,
		DisableCompression: true, // Accept-Encoding is set per request, and wire bytes counted
	}
	return &browser{base: u, rec: rec, assets: assetCache{m: map[string]assetEntry{}},
		client: &http.Client{Jar: jar, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // redirects are followed and timed one by one
		}}}, nil
}

// closeIdle closes the browser's connections.
func (b *browser) closeIdle() { b.client.CloseIdleConnections() }

// resolve turns a path or URL from a page into an absolute dashboard URL,
// refusing any other host.
func (b *browser) resolve(ref string) (*url.URL, error) {
	u, err := b.base.Parse(ref)
	if err != nil || u.Host != b.base.Host || u.Scheme != b.base.Scheme {
		return nil, fmt.Errorf("%w: %q", errOffSite, ref)
	}
	return u, nil
}

// answer is a response with its body read and decompressed.
type answer struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL
}

// Request modes: the headers a browser sends for a navigation, an htmx
// request and a subresource.
const (
	modeNavigate = iota
	modeHTMX
	modeAsset
)

// do sends one request, times it to the last byte and records it.
func (b *browser) do(ctx context.Context, method, ref string, form url.Values, hdr map[string]string, mode int, k kind) (*answer, error) {
	u, err := b.resolve(ref)
	if err != nil {
		return nil, err
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("User-Agent", "bulkjobs-loadtest/1")
	h.Set("Accept-Encoding", "gzip")
	h.Set("Accept-Language", "en")
	h.Set("Sec-Fetch-Site", "same-origin")
	switch mode {
	case modeNavigate:
		h.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
		h.Set("Sec-Fetch-Mode", "navigate")
		h.Set("Sec-Fetch-Dest", "document")
	case modeHTMX:
		h.Set("Accept", "*/*")
		h.Set("Sec-Fetch-Mode", "cors")
		h.Set("Sec-Fetch-Dest", "empty")
	case modeAsset:
		h.Set("Accept", "*/*")
		h.Set("Sec-Fetch-Mode", "no-cors")
	}
	if form != nil {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		h.Set("Origin", b.base.Scheme+"://"+b.base.Host)
	}
	for k, v := range hdr {
		h.Set(k, v)
	}
	start := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	lat := time.Since(start)
	if err != nil {
		return nil, err
	}
	if len(raw) > maxBody {
		return nil, errTooLarge
	}
	b.rec.add(sample{at: start, lat: lat, bytes: int64(len(raw)), status: resp.StatusCode, kind: k})
	a := &answer{status: resp.StatusCode, header: resp.Header, body: raw, url: u}
	switch enc := resp.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("gzip answer: %w", err)
		}
		if a.body, err = io.ReadAll(io.LimitReader(zr, maxBody)); err != nil {
			return nil, fmt.Errorf("gzip answer: %w", err)
		}
	default:
		return nil, fmt.Errorf("answer in %q, which the tool did not accept", enc)
	}
	return a, nil
}

// navigate loads a page as the address bar does, following redirects (each
// timed as its own request of kind k). It returns the final answer.
func (b *browser) navigate(ctx context.Context, ref string, k kind) (*answer, error) {
	return b.follow(ctx, http.MethodGet, ref, nil, k)
}

// submit posts a form as a browser does, then follows the redirect.
func (b *browser) submit(ctx context.Context, ref string, form url.Values, k kind) (*answer, error) {
	return b.follow(ctx, http.MethodPost, ref, form, k)
}

func (b *browser) follow(ctx context.Context, method, ref string, form url.Values, k kind) (*answer, error) {
	for range 5 {
		a, err := b.do(ctx, method, ref, form, nil, modeNavigate, k)
		if err != nil {
			return nil, err
		}
		switch a.status {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect:
			ref = a.header.Get("Location")
			if a.status != http.StatusTemporaryRedirect {
				method, form = http.MethodGet, nil
			}
			continue
		}
		return a, nil
	}
	return nil, fmt.Errorf("more than 5 redirects from %s", ref)
}

// assetCache is the browser's HTTP cache for static files: fresh entries
// (max-age) are not asked for again; stale ones are revalidated with their
// ETag or Last-Modified.
type assetCache struct {
	mu sync.Mutex
	m  map[string]assetEntry
}

type assetEntry struct {
	fresh        time.Time
	etag, lastMo string
}

// loadAssets fetches the page's static files the cache cannot answer,
// several at a time as a browser does.
func (b *browser) loadAssets(ctx context.Context, page []byte) {
	var wg sync.WaitGroup
	for _, ref := range assetURLs(page) {
		b.assets.mu.Lock()
		e, ok := b.assets.m[ref]
		b.assets.mu.Unlock()
		if ok && time.Now().Before(e.fresh) {
			continue
		}
		hdr := map[string]string{}
		if e.etag != "" {
			hdr["If-None-Match"] = e.etag
		}
		if e.lastMo != "" {
			hdr["If-Modified-Since"] = e.lastMo
		}
		wg.Go(func() {
			a, err := b.do(ctx, http.MethodGet, ref, nil, hdr, modeAsset, kAsset)
			switch {
			case err != nil:
				if ctx.Err() == nil {
					b.rec.fail("asset: " + errKind(err))
				}
				return
			case a.status != http.StatusOK && a.status != http.StatusNotModified:
				b.rec.fail("asset: status " + strconv.Itoa(a.status))
				return
			}
			b.assets.mu.Lock()
			b.assets.m[ref] = cacheEntry(a, e)
			b.assets.mu.Unlock()
		})
	}
	wg.Wait()
}

// cacheEntry reads an asset's caching headers (a 304 keeps the old
// validators unless it sends new ones).
func cacheEntry(a *answer, old assetEntry) assetEntry {
	e := assetEntry{etag: a.header.Get("ETag"), lastMo: a.header.Get("Last-Modified")}
	if a.status == http.StatusNotModified {
		e.etag, e.lastMo = cmp.Or(e.etag, old.etag), cmp.Or(e.lastMo, old.lastMo)
	}
	cc := strings.ToLower(a.header.Get("Cache-Control"))
	if strings.Contains(cc, "no-store") || strings.Contains(cc, "no-cache") {
		return e
	}
	for _, d := range strings.Split(cc, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(d), "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				e.fresh = time.Now().Add(time.Duration(n) * time.Second)
			}
		}
	}
	return e
}
