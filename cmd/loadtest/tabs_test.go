package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// listRegion and liveCard are shaped like the templ output of
// views.JobListRegion and views.JobCardView.
const (
	listRegion = `<section id="job-list" class="job-list sync-root" aria-label="Jobs" data-testid="job-list" hx-get="/accounts/a/jobs?per_page=50" hx-trigger="every 5s, refresh" hx-swap="outerHTML" hx-sync="this:drop" data-live="true"><ul></ul></section>`
	liveCard   = `<article id="job-1" class="job-card live" data-testid="job-card" hx-get="/accounts/a/jobs/1/card" hx-trigger="every %s, refresh" hx-swap="outerHTML" hx-sync="this:drop"><h2>Job</h2></article>`
	doneCard   = `<article id="job-1" class="job-card" data-testid="job-card"><h2>Job</h2></article>`
	page       = `<!doctype html><html><head><link rel="stylesheet" href="/static/css/app.css"/><script src="/static/js/htmx.min.js" defer></script></head>` +
		`<body hx-headers="{&#34;X-CSRF-Token&#34;:&#34;tok&#34;}"><form hx-get="/x" hx-trigger="change, submit"></form>%s</body></html>`
)

func TestFindPollers(t *testing.T) {
	ps := findPollers([]byte(fmt.Sprintf(page, listRegion+fmt.Sprintf(liveCard, "3s"))))
	if len(ps) != 2 {
		t.Fatalf("found %d pollers, want 2 (the filter form does not poll)", len(ps))
	}
	if p := ps[0]; p.id != "job-list" || p.url != "/accounts/a/jobs?per_page=50" || p.every != 5*time.Second {
		t.Errorf("list poller %+v", *p)
	}
	if p := ps[1]; p.id != "job-1" || p.every != 3*time.Second || pollKind(p) != kCardPoll {
		t.Errorf("card poller %+v", *p)
	}
	body := []byte(fmt.Sprintf(page, ""))
	if h := hxHeaders(body); h["X-CSRF-Token"] != "tok" {
		t.Errorf("hx-headers %v", h)
	}
	if got := assetURLs(body); !slices.Equal(got, []string{"/static/js/htmx.min.js", "/static/css/app.css"}) {
		t.Errorf("assets %v", got)
	}
	if d := parseInterval("250", ""); d != 250*time.Millisecond {
		t.Errorf("bare interval: %s, want 250ms", d)
	}
}

// fakePage serves a job page whose card answers polls from a script, and
// records the polls' headers.
type fakePage struct {
	mu      sync.Mutex
	answers []func(w http.ResponseWriter) // one per poll; the last repeats
	polls   []http.Header
}

func (f *fakePage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/page":
		fmt.Fprintf(w, page, fmt.Sprintf(liveCard, "10ms"))
	case "/accounts/a/jobs/1/card":
		f.mu.Lock()
		f.polls = append(f.polls, r.Header.Clone())
		answer := f.answers[min(len(f.polls), len(f.answers))-1]
		f.mu.Unlock()
		answer(w)
	default:
		w.Header().Set("Cache-Control", "public, max-age=3600")
	}
}

// runTab runs one tab on the fake page for long enough to make far more
// polls than the script allows, and returns the polls it received.
func runTab(t *testing.T, answers ...func(w http.ResponseWriter)) ([]http.Header, *recorder) {
	t.Helper()
	f := &fakePage{answers: answers}
	srv := httptest.NewServer(f)
	defer srv.Close()
	rec := newRecorder()
	b, err := newBrowser(srv.URL, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	(&tab{b: b, page: "/page", pageKind: kJobPage, budget: 1000}).run(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.polls, rec
}

func status(code int) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) { w.WriteHeader(code) }
}

func body(s string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) { fmt.Fprint(w, s) }
}

// A finished job's card has no trigger: after that answer the tab stops
// polling. Before it, live cards and 204s keep it polling.
func TestTabStopsOnTerminalCard(t *testing.T) {
	polls, rec := runTab(t, body(fmt.Sprintf(liveCard, "10ms")), status(http.StatusNoContent), body(doneCard))
	if len(polls) != 3 {
		t.Errorf("%d polls, want 3: live card, 204, finished card", len(polls))
	}
	h := polls[0]
	for k, want := range map[string]string{"HX-Request": "true", "HX-Trigger": "job-1", "HX-Target": "job-1", "X-CSRF-Token": "tok"} {
		if h.Get(k) != want {
			t.Errorf("%s: %q, want %q", k, h.Get(k), want)
		}
	}
	if u := h.Get("HX-Current-URL"); len(u) < 5 || u[len(u)-5:] != "/page" {
		t.Errorf("HX-Current-URL %q, want the page's address", u)
	}
	if len(rec.errors) != 0 {
		t.Errorf("errors %v", rec.errors)
	}
}

// 286 stops polling at once.
func TestTabStopsOn286(t *testing.T) {
	polls, _ := runTab(t, status(http.StatusNoContent), status(286))
	if len(polls) != 2 {
		t.Errorf("%d polls, want 2: 204, then 286", len(polls))
	}
}

// An error shown in #flash (HX-Retarget) leaves the card polling; it is
// counted as an error. A redirect to the login page ends the tab.
func TestTabErrorsAndLostSession(t *testing.T) {
	flash := func(w http.ResponseWriter) {
		w.Header().Set("HX-Retarget", "#flash")
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	login := func(w http.ResponseWriter) {
		w.Header().Set("HX-Redirect", "/login?next=%2Fpage")
		w.WriteHeader(http.StatusUnauthorized)
	}
	polls, rec := runTab(t, flash, flash, login)
	if len(polls) != 3 {
		t.Errorf("%d polls, want 3: two errors in #flash, then the lost session", len(polls))
	}
	want := map[string]int{"card poll: status 503": 2, "card poll: session lost (HX-Redirect to the login page)": 1}
	if fmt.Sprint(rec.errors) != fmt.Sprint(want) {
		t.Errorf("errors %v, want %v", rec.errors, want)
	}
}

func TestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if rank(d, 0.5) != 50*time.Millisecond || rank(d, 0.99) != 99*time.Millisecond || rank(d[:1], 0.99) != time.Millisecond {
		t.Errorf("rank: %s %s %s", rank(d, 0.5), rank(d, 0.99), rank(d[:1], 0.99))
	}
}
