package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// tab is one browser tab on one page. It does what htmx 2 does on the
// dashboard's pages (static/js/htmx.min.js, views/helpers.go htmxConfig):
//
//   - Loading the page: GET it as a navigation, then its stylesheets,
//     scripts and icon unless the browser's cache holds them fresh, then
//     any hx-trigger="load" regions.
//   - Every element with hx-trigger "every N" and hx-get is a poller with its
//     own timer. A poll is a GET of its hx-get with HX-Request: true,
//     HX-Trigger and HX-Target (the element's id), HX-Current-URL (the page's
//     address) and the page's hx-headers (the CSRF token).
//   - The timer re-arms when it fires, not when the answer arrives. A tick
//     that falls while the element's request is in flight is dropped
//     (hx-sync="this:drop").
//   - 204 and HX-Reswap: none swap nothing: the element and its timer stay.
//     An HX-Retarget elsewhere (an error shown in #flash) leaves the element
//     too. Any other answer replaces the element (outerHTML; the config swaps
//     4xx and 5xx as well): its timer ends, and the pollers in the answer
//     start theirs at the swap. An answer with no trigger therefore ends the
//     polling, as a finished job's card does. Out-of-band elements replace
//     the pollers with their ids. 286 stops the element's polling.
//   - HX-Redirect and HX-Refresh load a page; a redirect to the login page
//     means the session was lost, which is an error, and the tab stops.
//
// Not modelled: pollers nested inside another poller's element (the pages
// have none), server-sent events (noted in the report if a page uses them),
// hidden tabs and open dialogs (which pause polling in app.js).
type tab struct {
	b        *browser
	page     string // the page's path
	pageKind kind
	budget   int // requests left before the tab stops
	href     string
	headers  map[string]string
	pollers  []*poller
}

// run loads the page and polls until ctx ends.
func (t *tab) run(ctx context.Context) {
	if t.load(ctx, t.page) {
		for {
			p := t.earliest()
			if p == nil || !sleepUntil(ctx, p.next) {
				break
			}
			if t.budget <= 0 {
				t.b.rec.fail(t.pageKind.String() + " tab: stopped at its request cap")
				break
			}
			t.poll(ctx, p)
		}
	}
	<-ctx.Done() // a tab with nothing to poll stays open, idle
}

// load navigates the tab to ref and finds its pollers. It reports whether
// the page loaded.
func (t *tab) load(ctx context.Context, ref string) bool {
	t.budget--
	a, err := t.b.navigate(ctx, ref, t.pageKind)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			t.b.rec.fail(t.pageKind.String() + ": " + errKind(err))
		}
		return false
	case strings.HasPrefix(a.url.Path, "/login"):
		t.b.rec.fail(t.pageKind.String() + ": session lost (sent to the login page)")
		return false
	case a.status != http.StatusOK:
		t.b.rec.fail(t.pageKind.String() + ": status " + strconv.Itoa(a.status))
		return false
	}
	t.href, t.headers = a.url.String(), hxHeaders(a.body)
	t.checkAnswer(a.body)
	now := time.Now()
	t.pollers = t.pollers[:0]
	for _, p := range findPollers(a.body) {
		p.next = now.Add(p.every)
		t.pollers = append(t.pollers, p)
	}
	t.b.loadAssets(ctx, a.body)
	for _, ref := range loadOnce(a.body) {
		t.budget--
		l, err := t.b.do(ctx, http.MethodGet, ref, nil, t.htmxHeaders(""), modeHTMX, kLazy)
		if err != nil {
			if ctx.Err() == nil {
				t.b.rec.fail(kLazy.String() + ": " + errKind(err))
			}
			continue
		}
		if l.status >= 400 {
			t.b.rec.fail(kLazy.String() + ": status " + strconv.Itoa(l.status))
		}
		t.swapIn(l.body, time.Now())
	}
	return true
}

// poll sends p's request and applies the answer.
func (t *tab) poll(ctx context.Context, p *poller) {
	t.budget--
	k := pollKind(p)
	a, err := t.b.do(ctx, http.MethodGet, p.url, nil, t.htmxHeaders(p.id), modeHTMX, k)
	now := time.Now()
	if err != nil {
		if ctx.Err() == nil {
			t.b.rec.fail(k.String() + ": " + errKind(err))
		}
		p.next = nextTick(p, now)
		return
	}
	if loc := a.header.Get("HX-Redirect"); loc != "" {
		if u, err := url.Parse(loc); err == nil && strings.HasPrefix(u.Path, "/login") {
			t.b.rec.fail(k.String() + ": session lost (HX-Redirect to the login page)")
			t.pollers = nil
			return
		}
		t.load(ctx, loc)
		return
	}
	if a.header.Get("HX-Refresh") == "true" {
		t.load(ctx, t.href)
		return
	}
	if a.status >= 400 {
		t.b.rec.fail(k.String() + ": status " + strconv.Itoa(a.status))
	}
	t.checkAnswer(a.body)
	retarget := a.header.Get("HX-Retarget")
	switch {
	case a.status == http.StatusNoContent || a.header.Get("HX-Reswap") == "none":
		p.next = nextTick(p, now)
	case a.status == 286:
		t.remove(p)
	case retarget != "" && retarget != "this" && retarget != "#"+p.id:
		p.next = nextTick(p, now)
	default:
		t.remove(p)
		t.swapIn(a.body, now)
	}
}

// swapIn adds the pollers of an answer that was swapped in at now; its
// out-of-band elements replace the pollers with the same ids.
func (t *tab) swapIn(body []byte, now time.Time) {
	for _, id := range oobIDs(body) {
		t.pollers = slices.DeleteFunc(t.pollers, func(q *poller) bool { return q.id == id })
	}
	for _, np := range findPollers(body) {
		np.next = now.Add(np.every)
		t.pollers = append(t.pollers, np)
	}
}

func (t *tab) remove(p *poller) {
	t.pollers = slices.DeleteFunc(t.pollers, func(q *poller) bool { return q == p })
}

// htmxHeaders are the headers htmx sends for a request from the element id.
func (t *tab) htmxHeaders(id string) map[string]string {
	h := map[string]string{"HX-Request": "true", "HX-Current-URL": t.href}
	if id != "" {
		h["HX-Trigger"], h["HX-Target"] = id, id
	}
	for k, v := range t.headers {
		h[k] = v
	}
	return h
}

// checkAnswer notes answers marked as stale and pages using SSE.
func (t *tab) checkAnswer(body []byte) {
	if bytes.Contains(body, []byte(`data-testid="list-stale"`)) || bytes.Contains(body, []byte("reads are paused")) {
		t.b.rec.staleAnswer()
	}
	if usesSSE(body) {
		t.b.rec.note("a page opens a server-sent-events stream, which this tool does not follow: its figures miss that traffic")
	}
}

// earliest returns the poller whose timer fires first, or nil.
func (t *tab) earliest() *poller {
	var first *poller
	for _, p := range t.pollers {
		if first == nil || p.next.Before(first.next) {
			first = p
		}
	}
	return first
}

// nextTick is the first tick of p's unchanged timer after now: ticks during
// the request were dropped.
func nextTick(p *poller, now time.Time) time.Time {
	next := p.next.Add(p.every)
	for !next.After(now) {
		next = next.Add(p.every)
	}
	return next
}

// pollKind names a poll for the report by its URL.
func pollKind(p *poller) kind {
	path := p.url
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	switch {
	case strings.HasSuffix(path, "/card"):
		return kCardPoll
	case strings.HasSuffix(path, "/jobs"):
		return kListPoll
	}
	return kOtherPoll
}

// sleepUntil waits until t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
