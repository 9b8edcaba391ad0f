package fleettest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// tab is one browser tab on one page, polling as htmx 2 does on the
// dashboard's pages (the rules cmd/loadtest's tabs follow, in short):
//
//   - Every element with hx-get and an hx-trigger "every N" is a poller with
//     its own timer; a poll sends HX-Request, HX-Trigger and HX-Target (the
//     element's id), HX-Current-URL and the page's hx-headers (CSRF).
//   - The timer re-arms when it fires; a tick while the element's request is
//     in flight is dropped (hx-sync="this:drop").
//   - 204 or HX-Reswap: none swaps nothing and the timer goes on; so does an
//     HX-Retarget elsewhere. Any other answer replaces the element: its timer
//     ends and the pollers in the answer start theirs (a card without a
//     trigger ends the polling). Out-of-band elements replace the pollers
//     with their ids. 286 stops the element.
//
// Anything but 200, 204 and 286 is an error of the tab, as is a transport
// error: the fleet's users must not see one.
type tab struct {
	b    *browser
	page string
	hdr  map[string]string // the page's hx-headers
	poll []*poller

	mu   *sync.Mutex
	errs *[]string
}

type poller struct {
	id, url string
	every   time.Duration
	next    time.Time
}

// run loads the page and polls until ctx ends.
func (tb *tab) run(ctx context.Context) {
	resp, body, err := tb.b.do(http.MethodGet, tb.page, 0, nil, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.fail("load %s: %v", tb.page, statusOrErr(resp, err))
		return
	}
	d, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
	tb.hdr = map[string]string{}
	if v, ok := d.Find("[hx-headers]").Attr("hx-headers"); ok {
		_ = json.Unmarshal([]byte(v), &tb.hdr)
	}
	tb.swapIn(body, time.Now())
	for {
		p := tb.earliest()
		if p == nil {
			tb.fail("%s: nothing polls any more", tb.page) // every job runs for the whole test
			return
		}
		if !sleepUntil(ctx, p.next) {
			return
		}
		h := tb.b.htmx(tb.page, p.id, "")
		for k, v := range tb.hdr {
			h[k] = v
		}
		resp, body, err := tb.b.do(http.MethodGet, p.url, 0, nil, h)
		now := time.Now()
		switch {
		case err != nil:
			if ctx.Err() == nil {
				tb.fail("poll %s: %v", p.url, err)
			}
			p.next = nextTick(p, now)
		case resp.StatusCode == http.StatusNoContent || resp.Header.Get("HX-Reswap") == "none":
			p.next = nextTick(p, now)
		case resp.StatusCode == 286:
			tb.remove(p)
		case resp.StatusCode != http.StatusOK:
			tb.fail("poll %s: %d (HX-Redirect %q)", p.url, resp.StatusCode, resp.Header.Get("HX-Redirect"))
			tb.remove(p)
			tb.swapIn(body, now)
		case resp.Header.Get("HX-Retarget") != "" && resp.Header.Get("HX-Retarget") != "#"+p.id:
			p.next = nextTick(p, now)
		default:
			tb.remove(p)
			tb.swapIn(body, now)
		}
	}
}

var everyRE = regexp.MustCompile(`(?:^|[\s,])every\s+(\d+(?:\.\d+)?)(ms|s|m)?`)

// swapIn starts the pollers of markup swapped in at now; its out-of-band
// elements first replace the pollers with their ids.
func (tb *tab) swapIn(html string, now time.Time) {
	d, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		return
	}
	d.Find("[hx-swap-oob][id]").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		tb.poll = slices.DeleteFunc(tb.poll, func(q *poller) bool { return q.id == id })
	})
	d.Find("[hx-trigger][hx-get]").Each(func(_ int, s *goquery.Selection) {
		trig, _ := s.Attr("hx-trigger")
		m := everyRE.FindStringSubmatch(trig)
		if m == nil {
			return
		}
		n, _ := strconv.ParseFloat(m[1], 64)
		every := time.Duration(n * float64(map[string]time.Duration{"": time.Millisecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[m[2]]))
		id, _ := s.Attr("id")
		get, _ := s.Attr("hx-get")
		tb.poll = append(tb.poll, &poller{id: id, url: get, every: every, next: now.Add(every)})
	})
}

func (tb *tab) remove(p *poller) {
	tb.poll = slices.DeleteFunc(tb.poll, func(q *poller) bool { return q == p })
}

// earliest is the poller whose timer fires first, or nil.
func (tb *tab) earliest() *poller {
	var first *poller
	for _, p := range tb.poll {
		if first == nil || p.next.Before(first.next) {
			first = p
		}
	}
	return first
}

func (tb *tab) fail(format string, args ...any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	*tb.errs = append(*tb.errs, fmt.Sprintf(format, args...))
}

// nextTick is the first tick of p's timer after now: ticks that fell during
// the request were dropped.
func nextTick(p *poller, now time.Time) time.Time {
	next := p.next.Add(p.every)
	for !next.After(now) {
		next = next.Add(p.every)
	}
	return next
}

// sleepUntil waits until t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

func statusOrErr(resp *http.Response, err error) any {
	if err != nil {
		return err
	}
	return resp.StatusCode
}
