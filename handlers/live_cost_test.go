package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

// interval is the refresher's default interval, which webtest uses.
const interval = 5 * time.Second

// tab is one open page polling as htmx does: its poller's URL and id, and
// the page it lives on.
type tab struct {
	c             *http.Client
	page          string
	poll, trigger string // "" once it stopped polling
	sel           string // how to find the poller in an answer
}

// openTab loads page and finds its poller: the list's, or the card's.
func openTab(t *testing.T, app *webtest.App, c *http.Client, page, sel string) *tab {
	t.Helper()
	resp, body := app.Get(t, c, page, false)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", page, resp.StatusCode)
	}
	tb := &tab{c: c, page: page, sel: sel}
	tb.found(t, body)
	if tb.poll == "" {
		t.Fatalf("%s has no poller %s", page, sel)
	}
	return tb
}

// found takes the poller from an answer.
func (tb *tab) found(t *testing.T, body string) {
	el := doc(t, body).Find(tb.sel)
	tb.poll, tb.trigger = el.AttrOr("hx-get", ""), el.AttrOr("id", "")
}

// tick polls once, as the poller's timer does, and returns the answer.
func (tb *tab) tick(t *testing.T, app *webtest.App) (*http.Response, string) {
	t.Helper()
	if tb.poll == "" {
		return nil, ""
	}
	req, _ := http.NewRequest(http.MethodGet, app.URL+tb.poll, nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Trigger", tb.trigger)
	req.Header.Set("HX-Current-URL", app.URL+tb.page)
	resp, err := tb.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	switch resp.StatusCode {
	case http.StatusNoContent:
	case http.StatusOK:
		tb.found(t, body)
	default:
		t.Fatalf("poll %s: status %d\n%s", tb.poll, resp.StatusCode, body)
	}
	return resp, body
}

// reads counts the simulator's list and single-job reads.
func reads(app *webtest.App) (lists, gets int) {
	for _, r := range app.Sim.Requests() {
		switch r.Endpoint {
		case cfsim.EndpointList:
			lists++
		case cfsim.EndpointGet:
			gets++
		}
	}
	return lists, gets
}

// addRunning seeds n PROCESSING jobs, newer than the demo's, that keep
// running for many minutes.
func addRunning(t *testing.T, app *webtest.App, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-a000-%012d", i)
		if err := app.Sim.AddJob(webtest.Account, cfsim.SeedJob{ID: ids[i], Action: "RELEASE", Status: "PROCESSING",
			TotalDiscovered: 3000, Pending: 3000, Plan: &cfsim.Plan{Total: 3000, ProcessPerStep: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// runIntervals moves the clock through n intervals, letting every tab poll
// a few times in each (the list every 5 s, a card every 3 s: up to two
// polls an interval). Every other interval the feeds' own timers run
// first, so both ways a read starts are counted.
func runIntervals(t *testing.T, app *webtest.App, tabs []*tab, n int) {
	t.Helper()
	for i := range n {
		app.Clock.Advance(interval)
		if i%2 == 0 {
			stepFeeds(t, app)
		}
		for range 2 {
			for _, tb := range tabs {
				tb.tick(t, app)
			}
		}
	}
}

// Ten list tabs and nine job pages of one credential cost Cloudflare one
// list read per interval, and no read of a single job: every job they show
// is on the account's first page.
func TestTabsCostOneReadPerInterval(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	jobs := addRunning(t, app, 9)
	c := app.Login(t, webtest.Responder)
	var tabs []*tab
	for range 10 {
		tabs = append(tabs, openTab(t, app, c, jobsPath(""), "#job-list-poll"))
	}
	for _, j := range jobs {
		tabs = append(tabs, openTab(t, app, c, jobsPath("/"+j), "#job-"+j))
	}
	lists, gets := reads(app)
	if lists != 1 || gets != 0 {
		t.Fatalf("opening 19 tabs: %d list reads and %d job reads, want 1 and 0", lists, gets)
	}
	runIntervals(t, app, tabs, 12)
	if lists, gets = reads(app); lists != 1+12 || gets != 0 {
		t.Errorf("12 intervals: %d list reads and %d job reads, want 13 and 0", lists, gets)
	}
	for _, tb := range tabs {
		if tb.poll == "" {
			t.Errorf("%s stopped polling", tb.page)
		}
	}
}

// Twenty job pages on twenty different running jobs cost what one does.
func TestTwentyJobPagesCostOneReadPerInterval(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	jobs := addRunning(t, app, 20)
	c := app.Login(t, webtest.Responder)
	var tabs []*tab
	for _, j := range jobs {
		tabs = append(tabs, openTab(t, app, c, jobsPath("/"+j), "#job-"+j))
	}
	runIntervals(t, app, tabs, 6)
	if lists, gets := reads(app); lists != 1+6 || gets != 0 {
		t.Errorf("20 job pages, 6 intervals: %d list reads and %d job reads, want 7 and 0", lists, gets)
	}
	if n := app.UpstreamCalls(http.MethodGet, "/messages"); n != 20 {
		t.Errorf("message reads = %d, want 20 (one per page load; polls never read them)", n)
	}
}

// Two analysts whose credentials hold the same token share one feed: they
// cost Cloudflare what one of them does.
func TestSharedTokenCostsAsOne(t *testing.T) {
	t.Parallel()
	cost := func(analysts ...string) int {
		app := webtest.New(t, webtest.Options{})
		var tabs []*tab
		for _, who := range analysts { // the responder and the admin both hold DemoWriteToken
			c := app.Login(t, who)
			tabs = append(tabs, openTab(t, app, c, jobsPath(""), "#job-list-poll"),
				openTab(t, app, c, jobsPath("/"+processingJob), "#job-"+processingJob))
		}
		runIntervals(t, app, tabs, 6)
		lists, gets := reads(app)
		return lists + gets
	}
	one, two := cost(webtest.Responder), cost(webtest.Responder, webtest.Admin)
	if one != 1+6 || two != one {
		t.Errorf("upstream reads: one analyst %d, two sharing the token %d; want 7 both", one, two)
	}
}

// When the tabs stop polling, the feed reads until it has been unwatched
// for its idle time (three intervals), then stops: nothing more is read.
func TestNoReadsAfterTheTabsStop(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Viewer)
	openTab(t, app, c, jobsPath(""), "#job-list-poll") // then the tab closes
	for range 10 {
		app.Clock.Advance(interval)
		stepFeeds(t, app)
	}
	if lists, _ := reads(app); lists != 1+2 {
		t.Errorf("list reads = %d, want 3: the page's, then two by the feed until it was idle for 15 s", lists)
	}
	if n := feeds(app); n != 0 {
		t.Errorf("feeds running = %d, want 0", n)
	}
}

// Deleting a credential stops its feed at once: its token is not used
// again, not even by the feed's timer.
func TestDeletedCredentialStopsItsFeed(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Viewer)
	openTab(t, app, c, jobsPath(""), "#job-list-poll")
	if n := feeds(app); n != 1 {
		t.Fatalf("feeds = %d, want 1", n)
	}
	resp := app.PostForm(t, c, "/credentials/"+credentialFor(t, app, webtest.Viewer, webtest.Account)+"/delete", url.Values{})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: status %d", resp.StatusCode)
	}
	if n := feeds(app); n != 0 {
		t.Errorf("feeds after the delete = %d, want 0", n)
	}
	before, _ := reads(app)
	for range 3 {
		app.Clock.Advance(interval)
		stepFeeds(t, app)
	}
	if after, _ := reads(app); after != before {
		t.Errorf("the deleted credential's feed read %d more times", after-before)
	}
}

// credentialFor returns the ID of who's credential for account.
func credentialFor(t *testing.T, app *webtest.App, who, account string) string {
	t.Helper()
	creds, err := app.Store.Credentials(context.Background(), app.Users[who].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, cr := range creds {
		if cr.AccountID == account {
			return cr.ID
		}
	}
	t.Fatalf("%s has no credential for %s", who, account)
	return ""
}
