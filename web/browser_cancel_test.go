package web_test

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

// axe-core 4.14.1, vendored for this test only (see testdata/axe/VENDORED.md).
//
//go:embed testdata/axe/axe.min.js
var axeSource string

const completedBrowserJob = "9b1e4f7a-2c3d-4e5f-8a6b-7c8d9e0f1a2b"

// jsClick clicks the element that matches sel at the moment of the click. A
// live card replaces itself every few seconds, so a node looked up first and
// clicked later may already be gone.
func jsClick(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`document.querySelector(` + strconv.Quote(sel) + `).click()`)
}

func jobPage(app *webtest.App, job string) string {
	return app.URL + "/accounts/" + webtest.Account + "/jobs/" + job
}

// TestBrowserWatchAndCancel follows the analyst: watch a running job move,
// open the cancel dialog and back out (nothing is sent), then cancel for real
// and see the card turn CANCELLED with the simulator's counters.
func TestBrowserWatchAndCancel(t *testing.T) {
	app := webtest.New(t, webtest.Options{})
	ctx := webtest.Chrome(t)
	console := webtest.WatchConsole(t, ctx)
	app.BrowserLogin(t, ctx, webtest.Responder)
	card := `#job-` + browserJob
	pending := `document.querySelector('` + card + ` [data-testid="counter-pending"] dd').textContent.trim()`

	webtest.Do(t, ctx, "open the running job", chromedp.Navigate(jobPage(app, browserJob)), chromedp.WaitVisible(chromedp.CSS(card)))
	before := webtest.Eval[string](t, ctx, pending)
	app.Clock.Advance(20 * time.Second) // the simulator moves on; the card must follow without a reload
	webtest.Do(t, ctx, "wait for the card to refresh itself",
		chromedp.Poll[chromedp.Void](pending+` !== `+strconv.Quote(before), chromedp.WithPollingTimeout(15*time.Second)))

	webtest.Do(t, ctx, "open the dialog and keep the job running",
		jsClick(card+` [data-testid="cancel-button"]`),
		chromedp.WaitVisible(chromedp.CSS(`#cancel-`+browserJob)),
	)
	if focused := webtest.Eval[string](t, ctx, `document.activeElement.dataset.testid || ''`); focused != "keep-running" {
		t.Errorf("focus in the dialog is on %q, want keep-running", focused)
	}
	text := webtest.Eval[string](t, ctx, `document.querySelector('#cancel-`+browserJob+`').innerText`)
	if !strings.Contains(text, "pending messages will not be moved to Recoverable Items") || !strings.Contains(text, "already moved stay moved") {
		t.Errorf("dialog text lacks the consequence:\n%s", text)
	}
	webtest.Do(t, ctx, "dismiss",
		jsClick(`#cancel-`+browserJob+` [data-testid="keep-running"]`),
		chromedp.WaitNotVisible(chromedp.CSS(`#cancel-`+browserJob)),
	)
	webtest.Do(t, ctx, "open again and press Escape",
		jsClick(card+` [data-testid="cancel-button"]`),
		chromedp.WaitVisible(chromedp.CSS(`#cancel-`+browserJob)),
		chromedp.KeyEvent("\u001b"),
		chromedp.WaitNotVisible(chromedp.CSS(`#cancel-`+browserJob)),
	)
	if n := app.UpstreamCalls(http.MethodPost, "/cancel"); n != 0 {
		t.Fatalf("dismissed dialogs sent %d cancels", n)
	}

	webtest.Do(t, ctx, "cancel for real",
		jsClick(card+` [data-testid="cancel-button"]`),
		chromedp.WaitVisible(chromedp.CSS(`#cancel-`+browserJob)),
		chromedp.SendKeys(chromedp.CSS(`#cancel-`+browserJob+` textarea[name="reason"]`), "browser test"),
		jsClick(`#cancel-`+browserJob+` [data-testid="confirm-cancel"]`),
		chromedp.WaitVisible(chromedp.CSS(card+`[data-status="CANCELLED"] [data-testid="card-notice"]`)),
	)
	sim, _ := app.Sim.Job(webtest.Account, browserJob)
	if sim.Status != "CANCELLED" {
		t.Fatalf("simulator says %s", sim.Status)
	}
	for name, want := range map[string]int{"pending": sim.Pending, "successful": sim.Successful, "cancelled": sim.Cancelled, "total": sim.TotalDiscovered} {
		got := webtest.Eval[string](t, ctx, `document.querySelector('`+card+` [data-testid="counter-`+name+`"] dd').textContent.trim()`)
		if got != commas(want) {
			t.Errorf("counter %s = %q, want %s", name, got, commas(want))
		}
	}
	if n := app.UpstreamCalls(http.MethodPost, "/cancel"); n != 1 {
		t.Errorf("upstream cancels = %d, want 1", n)
	}
	// Everything above ran under the strict CSP without a violation or an
	// error in the console.
	for _, m := range console.Messages() {
		// htmx itself logs deliberately aborted polls as errors; what must
		// not appear is a CSP violation or an uncaught exception.
		if strings.Contains(m, "Content Security Policy") || strings.Contains(m, "Refused to") || strings.HasPrefix(m, "exception") {
			t.Errorf("console: %s", m)
		}
	}
}

func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestBrowserFinishedJobDoesNotPoll opens a COMPLETED job and checks that no
// further request for it reaches Cloudflare.
func TestBrowserFinishedJobDoesNotPoll(t *testing.T) {
	app := webtest.New(t, webtest.Options{})
	ctx := webtest.Chrome(t)
	app.BrowserLogin(t, ctx, webtest.Viewer)
	webtest.Do(t, ctx, "open the finished job",
		chromedp.Navigate(jobPage(app, completedBrowserJob)),
		chromedp.WaitVisible(chromedp.CSS(`#job-`+completedBrowserJob)),
	)
	if webtest.Eval[bool](t, ctx, `document.querySelector('#job-`+completedBrowserJob+`').hasAttribute('hx-trigger')`) {
		t.Error("finished card has a trigger")
	}
	if n := webtest.Eval[int](t, ctx, `document.querySelectorAll('[data-testid="cancel-button"]').length`); n != 0 {
		t.Errorf("viewer sees %d cancel buttons", n)
	}
	gets := func() int {
		return app.UpstreamCalls(http.MethodGet, "/bulk/"+completedBrowserJob) - app.UpstreamCalls(http.MethodGet, "/messages")
	}
	first := gets()
	webtest.Do(t, ctx, "wait longer than two poll intervals", chromedp.Sleep(7*time.Second))
	if n := gets(); n != first {
		t.Errorf("a finished job was fetched %d more times", n-first)
	}
}

// TestBrowserViewerHasNoCancel: the viewer sees running jobs without any
// cancel control.
func TestBrowserViewerHasNoCancel(t *testing.T) {
	app := webtest.New(t, webtest.Options{})
	ctx := webtest.Chrome(t)
	app.BrowserLogin(t, ctx, webtest.Viewer)
	webtest.Do(t, ctx, "open the running job", chromedp.Navigate(jobPage(app, browserJob)), chromedp.WaitVisible(chromedp.CSS(`#job-`+browserJob)))
	if n := webtest.Eval[int](t, ctx, `document.querySelectorAll('[data-testid="cancel-button"], dialog').length`); n != 0 {
		t.Errorf("viewer sees %d cancel controls", n)
	}
}

// TestBrowserCancelFailureThenRetry: a cancel that fails upstream shows its
// reason in the card, and the button works again.
func TestBrowserCancelFailureThenRetry(t *testing.T) {
	app := webtest.New(t, webtest.Options{})
	ctx := webtest.Chrome(t)
	app.BrowserLogin(t, ctx, webtest.Responder)
	card := `#job-` + browserJob
	app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointCancel, Kind: cfsim.FaultRateLimit, RetryAfter: 2 * time.Minute, Count: 1})
	webtest.Do(t, ctx, "cancel into a rate limit",
		chromedp.Navigate(jobPage(app, browserJob)),
		jsClick(card+` [data-testid="cancel-button"]`),
		chromedp.WaitVisible(chromedp.CSS(`#cancel-`+browserJob)),
		jsClick(`#cancel-`+browserJob+` [data-testid="confirm-cancel"]`),
		chromedp.WaitVisible(chromedp.CSS(card+` [data-testid="card-error"]`)),
	)
	msg := webtest.Eval[string](t, ctx, `document.querySelector('`+card+` [data-testid="card-error"]').textContent`)
	if !strings.Contains(msg, "try again in 2 minutes") {
		t.Errorf("card error = %q", msg)
	}
	// Cloudflare refuses every call of the credential until Retry-After
	// ends, so the dashboard sends nothing before then: retry after it.
	app.Clock.Advance(2 * time.Minute)
	webtest.Do(t, ctx, "retry",
		jsClick(card+` [data-testid="cancel-button"]`),
		chromedp.WaitVisible(chromedp.CSS(`#cancel-`+browserJob)),
		jsClick(`#cancel-`+browserJob+` [data-testid="confirm-cancel"]`),
		chromedp.WaitVisible(chromedp.CSS(card+`[data-status="CANCELLED"]`)),
	)
	if n := app.UpstreamCalls(http.MethodPost, "/cancel"); n != 2 {
		t.Errorf("upstream cancels = %d, want 2 (the refused one and the retry)", n)
	}
}

// TestBrowserAccessibility runs axe-core on the list, the job page and the
// open cancel dialog: no serious or critical violations.
func TestBrowserAccessibility(t *testing.T) {
	app := webtest.New(t, webtest.Options{})
	ctx := webtest.Chrome(t)
	app.BrowserLogin(t, ctx, webtest.Responder)
	check := func(name string) {
		t.Helper()
		webtest.Do(t, ctx, "inject axe", chromedp.Evaluate[chromedp.Void](axeSource))
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))))`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: axe: %v", name, err)
		}
		var violations []map[string]any
		if err := json.Unmarshal([]byte(raw), &violations); err != nil {
			t.Fatal(err)
		}
		for _, v := range violations {
			t.Errorf("%s: %v", name, v)
		}
	}
	webtest.Do(t, ctx, "open the list", chromedp.Navigate(app.URL+"/accounts/"+webtest.Account+"/jobs"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="job-list"]`)))
	check("job list")
	webtest.Do(t, ctx, "open the job", chromedp.Navigate(jobPage(app, browserJob)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="messages"]`)))
	check("job page")
	webtest.Do(t, ctx, "open the dialog",
		jsClick(`#job-`+browserJob+` [data-testid="cancel-button"]`),
		chromedp.WaitVisible(chromedp.CSS(`#cancel-`+browserJob)))
	check("cancel dialog")
}
