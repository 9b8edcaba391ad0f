package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

// TestBrowserCancelDuringOutage opens a job link while Cloudflare answers
// every read with 503: the page names the job, says why it could not be
// read, and offers Retry and Cancel; the cancel goes through the dialog
// and the card turns CANCELLED from Cloudflare's answer.
func TestBrowserCancelDuringOutage(t *testing.T) {
	app := webtest.New(t, webtest.Options{})
	ctx := webtest.Chrome(t)
	console := webtest.WatchConsole(t, ctx)
	app.BrowserLogin(t, ctx, webtest.Responder)
	// The login landed on the job list, so the dashboard knows the jobs
	// listed then (a link to one of them shows its last known card): the
	// link is to a job started since, of which nothing is known.
	const browserJob = "0b5e1c7a-4d2f-4e8b-9a61-3c7d2e9f0a14"
	if err := app.Sim.AddJob(webtest.Account, cfsim.SeedJob{ID: browserJob, Account: webtest.Account, Action: "MOVE",
		Destination: "JunkEmail", Status: "PROCESSING", TotalDiscovered: 500, Pending: 400, Successful: 100,
		Plan: &cfsim.Plan{Total: 500, ProcessPerStep: 5}}); err != nil {
		t.Fatal(err)
	}
	for _, ep := range []string{cfsim.EndpointList, cfsim.EndpointGet, cfsim.EndpointMessages} {
		app.Sim.InjectFault(cfsim.Fault{Endpoint: ep, Kind: cfsim.FaultStatus, Status: 503, Probability: 1})
	}
	card := `#job-` + browserJob
	webtest.Do(t, ctx, "open the job link", chromedp.Navigate(jobPage(app, browserJob)), chromedp.WaitVisible(chromedp.CSS(`main`)))
	if !webtest.Eval[bool](t, ctx, `!!document.querySelector('`+card+` [data-testid="cancel-button"]')`) {
		t.Fatalf("no card with Cancel; the page says: %q", webtest.Eval[string](t, ctx, `document.querySelector('main').innerText`))
	}
	reason := webtest.Eval[string](t, ctx, `document.querySelector('`+card+` [data-testid="unknown-reason"]').innerText`)
	if !strings.Contains(reason, "Cloudflare is unavailable right now") {
		t.Errorf("reason = %q", reason)
	}
	if !webtest.Eval[bool](t, ctx, `!!document.querySelector('`+card+` [data-testid="retry"]')`) {
		t.Error("no Retry")
	}
	axeCheck(t, ctx, "outage job page")

	webtest.Do(t, ctx, "open the dialog",
		jsClick(card+` [data-testid="cancel-button"]`),
		chromedp.WaitVisible(chromedp.CSS(`#cancel-`+browserJob)),
	)
	axeCheck(t, ctx, "outage cancel dialog")
	text := webtest.Eval[string](t, ctx, `document.querySelector('#cancel-`+browserJob+`').innerText`)
	if !strings.Contains(text, "the messages it has not reached yet will not be moved or released") || !strings.Contains(text, "The number is unknown") {
		t.Errorf("the dialog does not say what is and is not known:\n%s", text)
	}
	webtest.Do(t, ctx, "cancel",
		chromedp.SendKeys(chromedp.CSS(`#cancel-`+browserJob+` textarea[name="reason"]`), "outage drill"),
		jsClick(`#cancel-`+browserJob+` [data-testid="confirm-cancel"]`),
		chromedp.WaitVisible(chromedp.CSS(card+`[data-status="CANCELLED"] [data-testid="card-notice"]`)),
	)
	if sim, _ := app.Sim.Job(webtest.Account, browserJob); sim.Status != "CANCELLED" {
		t.Errorf("simulator says %s", sim.Status)
	}
	if n := app.UpstreamCalls(http.MethodPost, "/cancel"); n != 1 {
		t.Errorf("upstream cancels = %d, want 1", n)
	}
	for _, m := range console.Messages() {
		if strings.Contains(m, "Content Security Policy") || strings.Contains(m, "Refused to") || strings.HasPrefix(m, "exception") {
			t.Errorf("console: %s", m)
		}
	}
}

// axeCheck runs axe-core on the page: no serious or critical violations.
func axeCheck(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	webtest.Do(t, ctx, "inject axe", chromedp.Evaluate[chromedp.Void](axeSource))
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", name, err)
	}
	if raw != "[]" {
		t.Errorf("%s: axe violations: %s", name, raw)
	}
}
