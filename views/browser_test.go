package views

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/respond/bulkjobs/static"
)

// strictCSP is the policy the real app sends; the views and app.js must work
// under it.
const strictCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; report-uri /csp-report"

// fakeJobServer serves one job page under strictCSP, with the card fragment
// and the cancel endpoint, and records what the browser sent.
type fakeJobServer struct {
	mu         sync.Mutex
	polls      int
	cancels    []http.Header
	reasons    []string
	csrfForms  []string
	violations []string
	failNext   bool // the next cancel answers 502 with an error card
	cancelled  bool
}

func (s *fakeJobServer) handler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", static.Handler()))
	card := func() JobCard {
		c := processingCard()
		c.URL, c.CardURL, c.CancelURL, c.ConfirmURL, c.DialogURL = "/job", "/card", "/cancel", "/job?confirm=cancel", "/cancel-dialog"
		return c
	}
	write := func(w http.ResponseWriter, status int, comp templ.Component) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		if err := comp.Render(context.Background(), w); err != nil {
			t.Errorf("render: %v", err)
		}
	}
	mux.HandleFunc("GET /job", func(w http.ResponseWriter, r *http.Request) {
		d := sampleJobPage()
		d.Card = card()
		d.ShareURL = "http://" + r.Host + "/job"
		write(w, http.StatusOK, JobPage(d))
	})
	mux.HandleFunc("GET /card", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.polls++
		cancelled := s.cancelled
		s.mu.Unlock()
		c := card()
		if cancelled {
			c = cancelledCard(c)
		}
		write(w, http.StatusOK, JobCardView(c))
	})
	mux.HandleFunc("GET /cancel-dialog", func(w http.ResponseWriter, r *http.Request) {
		write(w, http.StatusOK, CancelDialog(card(), "#job-"+testJobID+":replace"))
	})
	mux.HandleFunc("POST /cancel", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.cancels = append(s.cancels, r.Header.Clone())
		s.reasons = append(s.reasons, r.FormValue("reason"))
		s.csrfForms = append(s.csrfForms, r.FormValue("csrf"))
		fail := s.failNext
		s.failNext = false
		if !fail {
			s.cancelled = true
		}
		s.mu.Unlock()
		c := card()
		if fail {
			c.Error = "Cloudflare did not answer. The job was not cancelled; try again."
			write(w, http.StatusBadGateway, JobCardView(c))
			return
		}
		write(w, http.StatusOK, JobCardView(cancelledCard(c)))
	})
	mux.HandleFunc("POST /csp-report", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.violations = append(s.violations, string(b))
		s.mu.Unlock()
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", strictCSP)
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	})
}

// clickNow clicks the element that matches sel at the moment of the click:
// the live card replaces itself every few seconds, so a node looked up
// first and clicked later may be gone.
func clickNow(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`document.querySelector('` + sel + `').click()`)
}

func cancelledCard(c JobCard) JobCard {
	c.Status, c.StatusLabel, c.StatusClass = "CANCELLED", "Cancelled", "cancelled"
	c.Live, c.CanCancel = false, false
	c.Notice = "Cancelled. 1,204 pending messages will not be moved."
	return c
}

func (s *fakeJobServer) pollCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polls
}

// browser is one Chromium tab for a test, with CSP violations recorded.
type browser struct {
	t   *testing.T
	ctx context.Context
}

// newBrowser starts Chromium, or skips the test without it (unless
// E2E_REQUIRE_BROWSER=1) and in -short mode.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("E2E_REQUIRE_BROWSER") == "1" {
			t.Fatalf("chromium not found: %v", err)
		}
		t.Skip("chromium not installed; set E2E_REQUIRE_BROWSER=1 to fail instead")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	// Record CSP violations from the first byte; DevTools scripts are exempt
	// from the page's CSP.
	record := func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__csp = []; document.addEventListener('securitypolicyviolation', function (e) {
				window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber);
			});`,
		})
		return chromedp.Void{}, err
	}
	if _, err := chromedp.Run(ctx, record); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel)
	return &browser{t: t, ctx: tctx}
}

func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

func (b *browser) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (b *browser) waitFor(step, expr string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		b.t.Fatalf("%s: waiting for %s: %v", step, expr, err)
	}
}

// noViolations fails on any CSP violation the page saw.
func (b *browser) noViolations() {
	b.t.Helper()
	if got := b.eval(`JSON.stringify(window.__csp)`); got != "[]" {
		b.t.Errorf("CSP violations in the page: %s", got)
	}
}

// TestBrowserJobPage drives app.js, the htmx configuration and the card in
// Chromium under a strict CSP: the dialog, paused polling, a failed and a
// successful cancel, focus after the swap, and polling that ends.
func TestBrowserJobPage(t *testing.T) {
	srv := &fakeJobServer{}
	ts := httptest.NewServer(srv.handler(t))
	defer ts.Close()
	b := newBrowser(t)
	do, eval, waitFor := b.do, b.eval, b.waitFor
	cardSel := "#job-" + testJobID

	do("load", chromedp.Navigate(ts.URL+"/job"), chromedp.WaitVisible(chromedp.CSS(cardSel)))
	waitFor("htmx loaded", `typeof htmx === 'object' && htmx.config.allowEval === false && htmx.config.historyCacheSize === 0`)

	// Polling runs while the dialog is closed.
	before := srv.pollCount()
	eval(`htmx.trigger(document.querySelector('` + cardSel + `'), 'refresh'); 'ok'`)
	deadline := time.Now().Add(5 * time.Second)
	for srv.pollCount() == before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if srv.pollCount() == before {
		t.Fatal("refresh did not poll the card")
	}

	// The dialog opens, focuses the safe button, and pauses polling.
	do("open dialog", clickNow(`[data-testid="cancel-button"]`))
	waitFor("dialog open", `document.querySelector('dialog[open]') !== null`)
	if got := eval(`document.activeElement.getAttribute('data-testid') || ''`); got != "keep-running" {
		t.Errorf("focus in dialog = %q, want keep-running", got)
	}
	if got := eval(`location.pathname + location.search`); got != "/job" {
		t.Errorf("opening the dialog navigated to %q", got)
	}
	paused := srv.pollCount()
	eval(`htmx.trigger(document.querySelector('` + cardSel + `'), 'refresh'); 'ok'`)
	time.Sleep(3500 * time.Millisecond) // one full poll interval
	if got := srv.pollCount(); got != paused {
		t.Errorf("polls while the dialog is open = %d, want 0", got-paused)
	}

	// Keep job running closes it and catches up at once.
	do("keep running", chromedp.Click(chromedp.CSS(`dialog[open] [data-testid="keep-running"]`)))
	waitFor("dialog closed", `document.querySelector('dialog[open]') === null`)
	deadline = time.Now().Add(2 * time.Second)
	for srv.pollCount() == paused && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if srv.pollCount() == paused {
		t.Error("closing the dialog did not catch up")
	}

	// A failed cancel (502) still swaps: the card shows the reason, focused.
	srv.mu.Lock()
	srv.failNext = true
	srv.mu.Unlock()
	do("cancel (fails)",
		clickNow(`[data-testid="cancel-button"]`),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] [data-testid="confirm-cancel"]`)),
		chromedp.Click(chromedp.CSS(`dialog[open] [data-testid="confirm-cancel"]`)),
	)
	waitFor("error card", `document.querySelector('`+cardSel+` [data-testid="card-error"]') !== null`)
	waitFor("focus on error", `document.activeElement && document.activeElement.getAttribute('data-testid') === 'card-error'`)
	if got := eval(`String(document.querySelectorAll('dialog[open]').length)`); got != "0" {
		t.Errorf("open dialogs after the failed cancel = %s", got)
	}

	// The retry succeeds: the answer replaces the card, with no trigger.
	do("cancel",
		clickNow(`[data-testid="cancel-button"]`),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] textarea[name="reason"]`)),
		chromedp.SendKeys(chromedp.CSS(`dialog[open] textarea[name="reason"]`), "wrong search"),
		chromedp.Click(chromedp.CSS(`dialog[open] [data-testid="confirm-cancel"]`)),
	)
	waitFor("cancelled card", `document.querySelector('`+cardSel+`[data-status="CANCELLED"]') !== null`)
	waitFor("focus on notice", `document.activeElement && document.activeElement.getAttribute('data-testid') === 'card-notice'`)
	if got := eval(`document.querySelector('` + cardSel + `').hasAttribute('hx-trigger') ? 'yes' : 'no'`); got != "no" {
		t.Error("cancelled card still has hx-trigger")
	}
	srv.mu.Lock()
	if len(srv.cancels) != 2 {
		t.Errorf("cancel requests = %d, want 2", len(srv.cancels))
	}
	for i, h := range srv.cancels {
		if got := h.Get("X-CSRF-Token"); got != "tok-123" {
			t.Errorf("cancel %d X-CSRF-Token = %q, want tok-123", i, got)
		}
		if got := srv.csrfForms[i]; got != "tok-123" {
			t.Errorf("cancel %d csrf field = %q", i, got)
		}
		if h.Get("HX-Request") != "true" {
			t.Errorf("cancel %d was not an htmx request", i)
		}
	}
	if got := srv.reasons[len(srv.reasons)-1]; got != "wrong search" {
		t.Errorf("reason = %q", got)
	}
	srv.mu.Unlock()

	// Polling has ended: nothing is sent over a full interval.
	ended := srv.pollCount()
	time.Sleep(3500 * time.Millisecond)
	if got := srv.pollCount(); got != ended {
		t.Errorf("polls after the terminal card = %d, want 0", got-ended)
	}

	// Copy link gives feedback (clipboard or the select fallback).
	do("copy", chromedp.Click(chromedp.CSS(`[data-testid="copy-link"]`)))
	waitFor("copy feedback", `['Copied', 'Press Ctrl+C'].includes(document.querySelector('[data-testid="copy-link"]').textContent)`)

	b.noViolations()
	srv.mu.Lock()
	if len(srv.violations) > 0 {
		t.Errorf("CSP reports: %s", strings.Join(srv.violations, "\n"))
	}
	srv.mu.Unlock()
}

// TestBrowserJobList drives the list page: the list refreshes as one
// fragment, a cancel from a card's dialog replaces that card inside the list,
// and a filter change replaces the list and pushes a shareable URL.
func TestBrowserJobList(t *testing.T) {
	var (
		mu        sync.Mutex
		requests  []string // method, path and query of each request
		cancelled = map[string]bool{}
	)
	d := jobsPage(2)
	mkList := func(status string) JobList {
		l := JobList{Page: 1}
		live := false
		for _, c := range d.List.Cards {
			c.CancelURL = "/cancel/" + c.ID
			c.URL = "/job/" + c.ID
			c.DialogURL = "/dialog/" + c.ID
			if cancelled[c.ID] {
				c = cancelledCard(c)
				c.Notice = ""
			}
			if status != "" && c.Status != status {
				continue
			}
			live = live || c.Live
			l.Cards = append(l.Cards, c)
		}
		if live {
			l.RefreshURL = "/list?status=" + status + "&v=1"
		}
		if len(l.Cards) == 0 {
			l.Empty = "No jobs match these filters."
		}
		return l
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", static.Handler()))
	mux.HandleFunc("GET /list", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		l := mkList(r.URL.Query().Get("status"))
		mu.Unlock()
		if r.URL.Query().Get("v") != "" {
			// The poller: every card changed, out of band.
			for i := range l.Cards {
				l.Cards[i].OOB = true
			}
			_ = JobListPoll(JobListPollData{RefreshURL: l.RefreshURL, Cards: l.Cards}).Render(r.Context(), w)
			return
		}
		var comp templ.Component = JobListRegion(l)
		if r.Header.Get("HX-Request") != "true" {
			page := d
			page.Filters.ActionURL = "/list"
			page.List = l
			comp = JobsPage(page)
		}
		_ = comp.Render(r.Context(), w)
	})
	mux.HandleFunc("GET /dialog/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		var card JobCard
		for _, c := range mkList("").Cards {
			if c.ID == r.PathValue("id") {
				card = c
			}
		}
		mu.Unlock()
		_ = CancelDialog(card, "#job-list:replace").Render(r.Context(), w)
	})
	mux.HandleFunc("POST /cancel/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		id := r.PathValue("id")
		cancelled[id] = true
		var card JobCard
		for _, c := range mkList("").Cards {
			if c.ID == id {
				card = c
			}
		}
		mu.Unlock()
		card.Notice = "Cancelled. 1,204 pending messages will not be moved."
		_ = JobCardView(card).Render(r.Context(), w)
	})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			mu.Lock()
			requests = append(requests, r.Method+" "+r.URL.RequestURI())
			mu.Unlock()
		}
		w.Header().Set("Content-Security-Policy", strictCSP)
		mux.ServeHTTP(w, r)
	}))
	defer ts.Close()
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(requests)
	}

	b := newBrowser(t)
	b.do("load", chromedp.Navigate(ts.URL+"/list"), chromedp.WaitVisible(chromedp.CSS("#job-list")))
	b.waitFor("htmx loaded", `typeof htmx === 'object'`)

	// A refresh is one request of the list's poller, never one per card
	// (the poller's own 5s timer may add another).
	n := count()
	b.eval(`htmx.trigger(document.querySelector('#job-list-poll'), 'refresh'); 'ok'`)
	deadline := time.Now().Add(5 * time.Second)
	for count() == n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	got := requests[n:]
	if len(got) == 0 {
		t.Error("refresh sent no request")
	}
	for _, r := range got {
		if r != "GET /list?status=&v=1" {
			t.Errorf("request during a refresh = %q, want only GET /list?status=&v=1", r)
		}
	}
	mu.Unlock()

	// Cancel the first card from its dialog.
	first := "#job-" + d.List.Cards[0].ID
	b.do("cancel",
		chromedp.Click(chromedp.CSS(first+` [data-testid="cancel-button"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] [data-testid="confirm-cancel"]`)),
		chromedp.Click(chromedp.CSS(`dialog[open] [data-testid="confirm-cancel"]`)),
	)
	b.waitFor("card cancelled", `document.querySelector('#job-list `+first+`[data-status="CANCELLED"]') !== null`)
	b.waitFor("focus on notice", `document.activeElement && document.activeElement.getAttribute('data-testid') === 'card-notice'`)
	if got := b.eval(`String(document.querySelectorAll('#job-list [data-testid="job-card"]').length)`); got != "2" {
		t.Errorf("cards after cancel = %s, want 2", got)
	}

	// A list poll replaces the card (out of band) under the focus on its
	// notice: focus stays on the card instead of falling back to <body>.
	b.eval(`htmx.trigger(document.querySelector('#job-list-poll'), 'refresh'); 'ok'`)
	b.waitFor("notice gone", `document.querySelector('#job-list [data-testid="card-notice"]') === null`)
	b.waitFor("focus kept on the card", `document.activeElement && document.activeElement.id === '`+first[1:]+`'`)

	// A filter change replaces the list and pushes the filtered URL.
	b.eval(`(function () {
		var s = document.getElementById('filter-status');
		s.value = 'CANCELLED';
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return 'ok';
	})()`)
	b.waitFor("filtered URL", `location.search.indexOf('status=CANCELLED') !== -1`)
	b.waitFor("filtered list", `document.querySelectorAll('#job-list [data-testid="job-card"]').length === 1`)
	if got := b.eval(`document.querySelector('#job-list-poll, [hx-trigger*="every"]') ? 'polls' : 'still'`); got != "still" {
		t.Error("list with no live job still polls")
	}
	if got := b.eval(`String(document.querySelectorAll('#job-list').length)`); got != "1" {
		t.Errorf("#job-list elements = %s, want 1 (outerHTML swap)", got)
	}
	b.noViolations()
}
