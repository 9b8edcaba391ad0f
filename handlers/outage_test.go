package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/handlers"
	"github.com/respond/bulkjobs/web/webtest"
)

const otherRunningJob = "393e0585-506f-4823-9de8-52eb2a0cda47" // PROCESSING in the demo data

// assertCancelOffered checks a job page that could not read its job: the
// job's IDs, a reason containing why, Retry, and Cancel with its dialog and
// form (CSRF token included), so a responder can stop the job anyway. The
// dialog is the fragment "Cancel job…" loads.
func assertCancelOffered(t *testing.T, app *webtest.App, c *http.Client, jobID string, resp *http.Response, body, why string) *goquery.Selection {
	t.Helper()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503 (the job's state was not delivered)", resp.StatusCode)
	}
	card := doc(t, body).Find(`#job-` + jobID + `[data-testid="job-card"]`)
	if card.Length() != 1 {
		t.Fatalf("no card for the job; page:\n%s", body)
	}
	if got := card.Find(`[data-testid="unknown-reason"]`).Text(); !strings.Contains(got, why) {
		t.Errorf("reason = %q, want it to say %q", strings.Join(strings.Fields(got), " "), why)
	}
	ids := card.Find(`[data-testid="unknown-ids"]`).Text()
	if !strings.Contains(ids, jobID) || !strings.Contains(ids, webtest.Account) {
		t.Errorf("the card does not name the job and the account: %q", ids)
	}
	if got := card.Find(`[data-testid="retry"]`).AttrOr("href", ""); got != jobsPath("/"+jobID) {
		t.Errorf("retry link = %q", got)
	}
	if got := card.Find(`[data-testid="cancel-button"]`).AttrOr("href", ""); got != jobsPath("/"+jobID+"?confirm=cancel") {
		t.Errorf("cancel link = %q, want the no-JS confirmation", got)
	}
	dialogURL := card.Find(`[data-testid="cancel-button"]`).AttrOr("data-dialog-url", "")
	if dialogURL != jobsPath("/"+jobID+"/cancel-dialog") {
		t.Errorf("cancel dialog URL = %q", dialogURL)
	}
	resp, frag := htmxGet(t, app, c, jobsPath("/"+jobID), dialogURL)
	dialog := doc(t, frag).Find(`dialog#cancel-` + jobID + `[data-testid="cancel-dialog"]`)
	if resp.StatusCode != http.StatusOK || dialog.Length() != 1 {
		t.Fatalf("cancel dialog: status %d\n%s", resp.StatusCode, frag)
	}
	form := dialog.Find(`form`)
	if got := form.AttrOr("action", ""); got != jobsPath("/"+jobID+"/cancel") {
		t.Errorf("cancel form action = %q", got)
	}
	if form.Find(`input[name="csrf"]`).AttrOr("value", "") == "" {
		t.Error("cancel form has no CSRF token")
	}
	if got := dialog.Find(`[data-testid="cancel-kept"]`).Text(); !strings.Contains(got, "The number is unknown") {
		t.Errorf("the confirmation does not say the counts are unknown: %q", got)
	}
	return card
}

// A fresh job page during an outage: the card with the IDs, the reason,
// Retry and Cancel, one job read (with the client's retries) and no
// messages read; then the cancel goes through from that page.
func TestFreshJobPageDuringOutageOffersCancel(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	for _, ep := range []string{cfsim.EndpointGet, cfsim.EndpointMessages, cfsim.EndpointList} {
		app.Sim.InjectFault(cfsim.Fault{Endpoint: ep, Kind: cfsim.FaultStatus, Status: 503, Probability: 1})
	}
	page := jobsPath("/" + processingJob)
	resp, body := app.Get(t, c, page, false)
	assertCancelOffered(t, app, c, processingJob, resp, body, "Cloudflare is unavailable right now: it answered 503 Service Unavailable.")
	if n := app.UpstreamCalls(http.MethodGet, "/bulk/"+processingJob); n > 3 {
		t.Errorf("one page made %d job reads upstream, want one read and at most its two retries", n)
	}
	if n := app.UpstreamCalls(http.MethodGet, "/messages"); n != 0 {
		t.Errorf("the messages were read %d times for a job that could not be read", n)
	}

	// Without JavaScript the Cancel link opens the same page with the
	// confirmation panel and its plain form.
	_, body = app.Get(t, c, page+"?confirm=cancel", false)
	panel := doc(t, body).Find(`[data-testid="cancel-panel"] form`)
	if panel.AttrOr("action", "") != page+"/cancel" || panel.Find(`input[name="csrf"]`).AttrOr("value", "") == "" {
		t.Errorf("no-JS confirmation missing or without CSRF token")
	}

	// The cancel needs no prior read.
	resp, body = app.HTMXPost(t, c, page, page+"/cancel", url.Values{"reason": {"outage test"}})
	if resp.StatusCode != http.StatusOK || doc(t, body).Find(`[data-status="CANCELLED"]`).Length() != 1 {
		t.Errorf("cancel during the outage: status %d\n%s", resp.StatusCode, body)
	}
	if sim, _ := app.Sim.Job(webtest.Account, processingJob); sim.Status != "CANCELLED" {
		t.Errorf("simulator says %s", sim.Status)
	}
}

// After a 429, reads of the credential pause: another job's fresh page
// makes no upstream call and still offers Cancel; a 429 on the page's own
// read (its account's first read, of the list) says until when.
func TestJobPageAfterRateLimitOffersCancel(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointList, Kind: cfsim.FaultRateLimit, RetryAfter: 4 * time.Minute, Count: 1})
	resp, body := app.Get(t, c, jobsPath("/"+processingJob), false)
	assertCancelOffered(t, app, c, processingJob, resp, body, "Cloudflare rate-limits this credential until 09:04:00 UTC.")
	if got := resp.Header.Get("Retry-After"); got != "240" {
		t.Errorf("Retry-After = %q, want 240", got)
	}

	before := len(app.Sim.Requests())
	resp, body = app.Get(t, c, jobsPath("/"+otherRunningJob), false)
	assertCancelOffered(t, app, c, otherRunningJob, resp, body, "Cloudflare rate-limits this credential until 09:04:00 UTC.")
	if n := len(app.Sim.Requests()) - before; n != 0 {
		t.Errorf("another job's page made %d upstream calls during Retry-After", n)
	}
}

// A job read that does not answer: the page says so, with Cancel, within
// the page's budget.
func TestJobPageTimeoutAnswersWithinBudget(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	app.Handler.UpstreamTimeout = 300 * time.Millisecond
	app.Sim.InjectFault(cfsim.Fault{Kind: cfsim.FaultLatency, Latency: 30 * time.Second, Probability: 1})
	start := time.Now()
	resp, body := app.Get(t, c, jobsPath("/"+processingJob), false)
	// Far above the budget, far below the latency: not a timing test, a
	// test that nothing waits for Cloudflare past the budget.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the page took %s with a budget of 300ms", d)
	}
	assertCancelOffered(t, app, c, processingJob, resp, body, "Cloudflare did not answer within 1 second, this page's time budget.")
	if n := app.UpstreamCalls(http.MethodGet, "/messages"); n != 0 {
		t.Errorf("the messages were asked for %d times after the budget was spent", n)
	}
}

// deadlines records the deadline of the job page's snapshot wait and of
// its messages read.
type deadlines struct {
	handlers.JobsAPI
	handlers.Feeds
	mu  sync.Mutex
	got map[string]time.Time
}

func (d *deadlines) note(what string, ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dl, _ := ctx.Deadline()
	d.got[what] = dl
}

func (d *deadlines) Watch(ctx context.Context, cred apiclient.Credential, accountID string, jobIDs ...string) (*guard.Snapshot, error) {
	d.note("job", ctx)
	return d.Feeds.Watch(ctx, cred, accountID, jobIDs...)
}

func (d *deadlines) ListJobMessages(ctx context.Context, cred apiclient.Credential, accountID, jobID string, opts apiclient.ListJobMessagesOptions) ([]apiclient.Message, apiclient.ResultInfo, error) {
	d.note("messages", ctx)
	return d.JobsAPI.ListJobMessages(ctx, cred, accountID, jobID, opts)
}

// The job page has one time budget: the job (from the account's snapshot,
// which the page may wait for) and the messages read share one deadline
// (they had one each, so a page could take twice the budget).
func TestJobPageHasOneBudget(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	rec := &deadlines{JobsAPI: app.Handler.API, Feeds: app.Handler.Live, got: map[string]time.Time{}}
	app.Handler.API, app.Handler.Live = rec, rec
	c := app.Login(t, webtest.Viewer)
	if resp, _ := app.Get(t, c, jobsPath("/"+processingJob), false); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	job, msgs := rec.got["job"], rec.got["messages"]
	if job.IsZero() || msgs.IsZero() {
		t.Fatalf("reads without a deadline: job %v, messages %v", job, msgs)
	}
	if !job.Equal(msgs) {
		t.Errorf("the messages read has its own deadline, %s after the job read's", msgs.Sub(job))
	}
}

// An older answer is marked the same way on the job page and on the list:
// as of when, and why.
func TestStaleAnswersAreMarkedAsOf(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	page := jobsPath("/" + processingJob)
	app.Get(t, c, page, false)
	app.Get(t, c, jobsPath(""), false) // 09:00:00: both answers cached
	app.Clock.Advance(30 * time.Second)
	// The page's read, its account's first page, is the one rate-limited.
	app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointList, Kind: cfsim.FaultRateLimit, RetryAfter: 2 * time.Minute, Count: 1})
	resp, body := app.Get(t, c, page, false)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stale job page: status %d", resp.StatusCode)
	}
	d := doc(t, body)
	card := d.Find(`#job-` + processingJob)
	want := "Showing Cloudflare's answer as of 09:00:00 UTC. Cloudflare rate-limits this credential until 09:02:30 UTC."
	if got := strings.Join(strings.Fields(card.Find(`[data-testid="stale"]`).Text()), " "); got != want {
		t.Errorf("card marker = %q, want %q", got, want)
	}
	if card.Find(`[data-testid="cancel-button"]`).Length() != 1 {
		t.Error("the stale card has no Cancel")
	}
	_, frag := htmxGet(t, app, c, page, page+"/cancel-dialog")
	if got := doc(t, frag).Find(`[data-testid="cancel-as-of"]`).Text(); !strings.Contains(got, "as of 09:00:00 UTC") {
		t.Errorf("the confirmation does not say its counts are old: %q", got)
	}
	cardMarker, _ := goquery.OuterHtml(card.Find(`[data-testid="stale"]`))

	resp, body = app.Get(t, c, jobsPath(""), false) // blocked by the 429: the cached list
	list := doc(t, body).Find(`#job-list`)
	if resp.StatusCode != http.StatusOK || list.Find(`[data-testid="job-card"]`).Length() == 0 {
		t.Fatalf("stale list: status %d", resp.StatusCode)
	}
	listMarker, _ := goquery.OuterHtml(list.Find(`#job-list > [data-testid="stale"]`))
	if listMarker != cardMarker {
		t.Errorf("list marker differs from the card's:\nlist: %s\ncard: %s", listMarker, cardMarker)
	}
}
