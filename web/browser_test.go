package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/respond/bulkjobs/web/webtest"
)

const browserJob = "52fb7adc-02ed-4225-a484-c02787b1eed3" // PROCESSING in the demo data

// TestBrowserListFilterAndJobPage logs in as the responder, opens the job
// list, filters it by status (htmx, URL updated), and opens a job page from a
// card.
func TestBrowserListFilterAndJobPage(t *testing.T) {
	app := webtest.New(t, webtest.Options{})
	ctx := webtest.Chrome(t)
	app.BrowserLogin(t, ctx, webtest.Responder)

	webtest.Do(t, ctx, "wait for the job list", chromedp.WaitVisible(chromedp.CSS(`[data-testid="job-list"]`)))
	location := webtest.Location(t, ctx)
	cards := webtest.Eval[int](t, ctx, `document.querySelectorAll('[data-testid="job-card"]').length`)
	if !strings.HasSuffix(location, "/accounts/"+webtest.Account+"/jobs") || cards < 5 {
		t.Fatalf("after login: at %s with %d cards", location, cards)
	}

	webtest.Do(t, ctx, "filter by status",
		chromedp.SetValue(chromedp.CSS(`select[name="status"]`), "COMPLETED"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('select[name="status"]').dispatchEvent(new Event('change', {bubbles: true}))`),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="job-card"]:not([data-status="COMPLETED"])`)),
	)
	completed := webtest.Eval[int](t, ctx, `document.querySelectorAll('[data-testid="job-card"][data-status="COMPLETED"]').length`)
	location = webtest.Location(t, ctx)
	if completed == 0 || !strings.Contains(location, "status=COMPLETED") {
		t.Fatalf("after filtering: %d completed cards at %s", completed, location)
	}

	webtest.Do(t, ctx, "open a job from its card",
		jsClick(`[data-testid="job-card"] a[href*="/jobs/"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="messages"]`)),
	)
	if location = webtest.Location(t, ctx); !strings.Contains(location, "/accounts/"+webtest.Account+"/jobs/") {
		t.Errorf("job page at %s", location)
	}
}

// TestBrowserSharedLinkThroughLogin opens a colleague's job link while logged
// out, logs in, and lands on that job.
func TestBrowserSharedLinkThroughLogin(t *testing.T) {
	app := webtest.New(t, webtest.Options{})
	ctx := webtest.Chrome(t)
	link := app.URL + "/accounts/" + webtest.Account + "/jobs/" + browserJob

	webtest.Do(t, ctx, "open the shared link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)),
	)
	u, _ := url.Parse(webtest.Location(t, ctx))
	if u.Path != "/login" || u.Query().Get("next") != "/accounts/"+webtest.Account+"/jobs/"+browserJob {
		t.Fatalf("shared link sent to %s", u)
	}
	webtest.Do(t, ctx, "log in",
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), webtest.Viewer),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), webtest.Password),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#job-`+browserJob)),
	)
	if location := webtest.Location(t, ctx); location != link {
		t.Errorf("after login at %s, want %s", location, link)
	}
}
