package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

// getWithID fetches path with X-Request-Id set to id ("" to let the
// dashboard choose) and returns the answer, its body and the request's ID.
func getWithID(t *testing.T, app *webtest.App, c *http.Client, path, id string, htmx bool) (*http.Response, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, app.URL+path, nil)
	if id != "" {
		req.Header.Set("X-Request-Id", id)
	}
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Current-URL", app.URL+path)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), resp.Header.Get("X-Request-Id")
}

// htmlDoc parses a page or fragment.
func htmlDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// upstreamIDs returns the request IDs the simulator received for path.
func upstreamIDs(app *webtest.App, method, substr string) []string {
	var ids []string
	for _, r := range app.Sim.Requests() {
		if r.Method == method && strings.Contains(r.Path, substr) {
			ids = append(ids, r.RequestID)
		}
	}
	return ids
}

// The request's ID goes to Cloudflare with every attempt, and the error
// page shows it as the reference; the response header carries the same ID.
func TestReferenceOnTheErrorPageAndUpstream(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	const missing = "00000000-0000-4000-8000-000000000001"
	resp, body, id := getWithID(t, app, c, "/accounts/"+webtest.Account+"/jobs/"+missing, "ref-page-1", false)
	if resp.StatusCode != http.StatusNotFound || id != "ref-page-1" {
		t.Fatalf("unknown job: status %d, X-Request-Id %q", resp.StatusCode, id)
	}
	msg := htmlDoc(t, body).Find(`[data-testid="error-message"]`).Text()
	if !strings.HasSuffix(msg, "(reference: ref-page-1)") {
		t.Errorf("error message = %q, want it to end with (reference: ref-page-1)", msg)
	}
	if got := upstreamIDs(app, http.MethodGet, missing); len(got) == 0 || got[0] != "ref-page-1" {
		t.Errorf("request IDs Cloudflare saw for the job = %q, want ref-page-1", got)
	}
}

// A failed card poll: every attempt it caused (the feed's read of the
// account and the job's own read, retries included) carries the
// dashboard's own ID, and the alert swapped into #flash quotes it.
func TestReferenceInTheAlertOfAFailedPoll(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	app.Sim.InjectFault(cfsim.Fault{Kind: cfsim.FaultStatus, Status: 500, Probability: 1})
	app.Sim.ResetRequests()
	resp, body, id := getWithID(t, app, c, "/accounts/"+webtest.Account+"/jobs/"+metricsJob+"/card", "", true)
	if resp.StatusCode < 500 || id == "" {
		t.Fatalf("card poll during an outage: status %d, X-Request-Id %q", resp.StatusCode, id)
	}
	alert := htmlDoc(t, body).Find(`[data-testid="error-alert"]`).Text()
	if !strings.HasSuffix(alert, "(reference: "+id+")") {
		t.Errorf("alert = %q, want it to end with (reference: %s)", alert, id)
	}
	reqs := app.Sim.Requests()
	if len(reqs) < 3 {
		t.Fatalf("attempts = %d, want the reads and their retries", len(reqs))
	}
	for _, r := range reqs {
		if r.RequestID != id {
			t.Errorf("%s %s carried request ID %q, want %q", r.Method, r.Path, r.RequestID, id)
		}
	}
}

// A cancel Cloudflare does not confirm: the card's error quotes the
// request; without JavaScript the flash on the next page quotes the POST's.
func TestReferenceInCardAndFlashErrors(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	job := "/accounts/" + webtest.Account + "/jobs/" + metricsOther
	app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointCancel, Kind: cfsim.FaultStatus, Status: 500, Count: 2})

	resp, body := app.HTMXPost(t, c, job, job+"/cancel", url.Values{})
	id := resp.Header.Get("X-Request-Id")
	cardErr := htmlDoc(t, body).Find(`[data-testid="card-error"]`).Text()
	if id == "" || !strings.HasSuffix(cardErr, "(reference: "+id+")") {
		t.Errorf("card error = %q (status %d), want it to end with (reference: %s)", cardErr, resp.StatusCode, id)
	}
	if got := upstreamIDs(app, http.MethodPost, metricsOther+"/cancel"); len(got) != 1 || got[0] != id {
		t.Errorf("the cancel reached Cloudflare with request IDs %q, want [%s]", got, id)
	}

	resp = app.PostForm(t, c, job+"/cancel", url.Values{})
	resp.Body.Close()
	postID := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != http.StatusSeeOther || postID == "" {
		t.Fatalf("cancel without JavaScript: status %d, X-Request-Id %q", resp.StatusCode, postID)
	}
	_, page := app.Get(t, c, job, false)
	flash := htmlDoc(t, page).Find("#flash").Text()
	if !strings.Contains(flash, "(reference: "+postID+")") {
		t.Errorf("flash = %q, want (reference: %s)", strings.TrimSpace(flash), postID)
	}
}
