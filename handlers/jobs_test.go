package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

const (
	processingJob = "52fb7adc-02ed-4225-a484-c02787b1eed3"
	completedJob  = "9b1e4f7a-2c3d-4e5f-8a6b-7c8d9e0f1a2b"
)

func jobsPath(q string) string { return "/accounts/" + webtest.Account + "/jobs" + q }

func TestJobListMatchesSimulator(t *testing.T) {
	t.Parallel()
	for _, shape := range []cfsim.Shape{cfsim.ShapeNew, cfsim.ShapeOld} {
		app := webtest.New(t, webtest.Options{Shape: shape})
		c := app.Login(t, webtest.Viewer)
		resp, body := app.Get(t, c, jobsPath(""), false)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("list status %d", resp.StatusCode)
		}
		want, _, err := app.Client.ListJobs(context.Background(), apiclient.Credential{APIToken: cfsim.DemoReadToken}, webtest.Account, apiclient.ListJobsOptions{PerPage: 20})
		if err != nil {
			t.Fatal(err)
		}
		d := doc(t, body)
		cards := d.Find(`[data-testid="job-card"]`)
		if cards.Length() != len(want) {
			t.Fatalf("cards = %d, want %d", cards.Length(), len(want))
		}
		cards.Each(func(i int, s *goquery.Selection) {
			j := want[i]
			if id, _ := s.Attr("id"); id != "job-"+j.ID {
				t.Errorf("card %d id = %q, want job-%s", i, id, j.ID)
			}
			if st, _ := s.Attr("data-status"); st != string(j.Status) {
				t.Errorf("card %d status = %q, want %s", i, st, j.Status)
			}
			text := s.Text()
			for _, n := range []int64{j.TotalMessagesDiscovered, j.MessagesSuccessful, j.MessagesPending} {
				if !strings.Contains(text, commas(n)) {
					t.Errorf("card %d text lacks counter %s", i, commas(n))
				}
			}
			if j.Comment != "" && !strings.Contains(text, j.Comment) {
				t.Errorf("card %d lacks comment %q", i, j.Comment)
			}
			hasCancelled := strings.Contains(text, "Cancelled") && j.MessagesCancelled != nil
			if shape == cfsim.ShapeOld && j.MessagesCancelled != nil {
				t.Errorf("old shape reported cancelled counter")
			}
			_ = hasCancelled
		})
		// Viewers never see a cancel control.
		if n := d.Find(`[data-testid="cancel-button"]`).Length(); n != 0 {
			t.Errorf("viewer sees %d cancel buttons", n)
		}
		// The list polls with one poller while jobs run; the cards inside do not.
		poller := d.Find(`#job-list > #job-list-poll`)
		if trig, _ := poller.Attr("hx-trigger"); !strings.Contains(trig, "every") {
			t.Errorf("list poller hx-trigger = %q, want polling while jobs run", trig)
		}
		if n := cards.Filter(`[hx-trigger]`).Length(); n != 0 {
			t.Errorf("%d cards poll on their own inside the list", n)
		}
	}
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func TestJobListFilters(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	for _, status := range []string{"COMPLETED", "PROCESSING", "SKIPPED"} {
		resp, body := app.Get(t, c, jobsPath("?status="+status), true)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status=%s: %d", status, resp.StatusCode)
		}
		d := doc(t, body)
		if d.Find("html").Length() != 0 && strings.Contains(body, "<html") {
			t.Errorf("htmx filter request got a full page")
		}
		cards := d.Find(`[data-testid="job-card"]`)
		if cards.Length() == 0 {
			t.Errorf("status=%s: no cards", status)
		}
		cards.Each(func(_ int, s *goquery.Selection) {
			if st, _ := s.Attr("data-status"); st != status {
				t.Errorf("status=%s filter shows a %s job", status, st)
			}
		})
	}
	_, body := app.Get(t, c, jobsPath("?action_type=RELEASE"), true)
	doc(t, body).Find(`[data-testid="job-card"]`).Each(func(_ int, s *goquery.Selection) {
		if !strings.Contains(s.Text(), "RELEASE") {
			t.Errorf("action filter shows a non-RELEASE job")
		}
	})
	// Terminal-only views do not poll.
	_, body = app.Get(t, c, jobsPath("?status=COMPLETED"), true)
	if n := doc(t, body).Find(`[hx-trigger]`).Length(); n != 0 {
		t.Errorf("a list of finished jobs polls: %d elements with a trigger", n)
	}
	// Bad filter values are a clear 400, never a different view.
	for _, q := range []string{"?status=RUNNING", "?action_type=DELETE", "?per_page=7", "?page=0", "?page=x"} {
		resp, _ := app.Get(t, c, jobsPath(q), false)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, resp.StatusCode)
		}
	}
}

func TestJobListPaging(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	for i := range 30 {
		created := time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC)
		err := app.Sim.AddJob(webtest.Account, cfsim.SeedJob{
			ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Account: webtest.Account, Action: "RELEASE",
			Status: "COMPLETED", TotalDiscovered: 1, Successful: 1, CreatedAt: &created, StartedAt: &created, CompletedAt: &created,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	c := app.Login(t, webtest.Viewer)
	seen := map[string]bool{}
	next := jobsPath("?status=COMPLETED")
	pages := 0
	for next != "" && pages < 10 {
		pages++
		_, body := app.Get(t, c, next, false)
		d := doc(t, body)
		d.Find(`[data-testid="job-card"]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("id")
			if seen[id] {
				t.Errorf("job %s on two pages", id)
			}
			seen[id] = true
		})
		next, _ = d.Find(`a[rel="next"]`).Attr("href")
	}
	// 30 added + 2 completed demo jobs = 32: pages of 20, 12.
	if len(seen) != 32 || pages != 2 {
		t.Errorf("paged through %d jobs in %d pages, want 32 in 2", len(seen), pages)
	}
	_, body := app.Get(t, c, jobsPath("?status=COMPLETED&per_page=20&page=5"), false)
	if !strings.Contains(body, "past the end") {
		t.Error("a page past the end does not say so")
	}
}

func TestJobPage(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	resp, body := app.Get(t, c, jobsPath("/"+processingJob), false)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("job page status %d", resp.StatusCode)
	}
	d := doc(t, body)
	card := d.Find(`[data-testid="job-card"]`)
	if card.Length() != 1 {
		t.Fatalf("job page has %d cards", card.Length())
	}
	if trig, _ := card.Attr("hx-trigger"); !strings.Contains(trig, "every") {
		t.Errorf("running job's card does not poll: %q", trig)
	}
	for _, want := range []string{
		"INC-2291", "Completed: Q3 payroll adjustment", "docusign-notify.example", "MALICIOUS",
		"Recoverable Items: Deletions", "Detections only",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("job page lacks %q", want)
		}
	}
	if v, ok := d.Find(`[data-testid="copy-link"]`).Attr("data-copy"); !ok || v != app.URL+jobsPath("/"+processingJob) {
		t.Errorf("copy link = %q, want the absolute job URL", v)
	}
	rows := d.Find(`[data-testid="messages"] tbody tr`)
	if rows.Length() == 0 {
		t.Fatal("no message rows")
	}
	// Filtered message rows (htmx fragment).
	_, frag := app.Get(t, c, jobsPath("/"+processingJob+"/messages?status=FAILED"), true)
	fd := doc(t, frag)
	if fd.Find(`tbody tr`).Length() == 0 {
		t.Fatal("no failed message rows")
	}
	fd.Find(`tbody tr`).Each(func(_ int, s *goquery.Selection) {
		if !strings.Contains(s.Text(), "Failed") {
			t.Errorf("FAILED filter shows row %q", strings.Join(strings.Fields(s.Text()), " "))
		}
	})
	// A finished job's card has no polling trigger.
	_, body = app.Get(t, c, jobsPath("/"+completedJob), false)
	if _, ok := doc(t, body).Find(`[data-testid="job-card"]`).Attr("hx-trigger"); ok {
		t.Error("completed job's card polls")
	}
}

func TestMalformedIDsAre404WithoutUpstream(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	app.Sim.ResetRequests()
	for _, p := range []string{
		"/accounts/023E105F4ECEF8AD9CA31A8372D0C353/jobs",
		"/accounts/023e105f4ecef8ad9ca31a8372d0c35/jobs",
		"/accounts/%2e%2e/jobs",
		"/accounts/" + webtest.Account + "/jobs/" + strings.ToUpper(processingJob),
		"/accounts/" + webtest.Account + "/jobs/%7B" + processingJob + "%7D",
		"/accounts/" + webtest.Account + "/jobs/urn:uuid:" + processingJob,
		"/accounts/" + webtest.Account + "/jobs/..%2F..%2Fuser%2Ftokens",
		"/accounts/" + webtest.Account + "/jobs/x%23y",
		"/accounts/" + webtest.Account + "/jobs/" + processingJob + "0/messages",
	} {
		resp, body := app.Get(t, c, p, false)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
		if strings.Contains(body, "goroutine") || strings.Contains(body, "panic") {
			t.Errorf("GET %s: stack trace in body", p)
		}
	}
	if n := len(app.Sim.Requests()); n != 0 {
		t.Errorf("malformed IDs made %d upstream calls", n)
	}
}

func TestUpstreamErrorsBecomeSentences(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	tests := []struct {
		name       string
		fault      *cfsim.Fault
		path       string
		wantStatus int
		wantText   string
	}{
		{"unavailable", &cfsim.Fault{Endpoint: "list", Kind: cfsim.FaultStatus, Status: 503, Count: 3}, jobsPath(""),
			http.StatusBadGateway, "unavailable right now"},
		{"proxy html", &cfsim.Fault{Endpoint: "list", Kind: cfsim.FaultHTML, Status: 502, Count: 3}, jobsPath(""),
			http.StatusBadGateway, "unavailable right now"},
		{"rate limited", &cfsim.Fault{Endpoint: "list", Kind: cfsim.FaultRateLimit, RetryAfter: 4 * time.Minute, Count: 1}, jobsPath(""),
			http.StatusServiceUnavailable, "try again in 4 minutes"},
		// While Cloudflare says to wait, nothing is sent, and the page says
		// why: cancels wait too, since Cloudflare would refuse them.
		{"blocked", nil, jobsPath(""), http.StatusServiceUnavailable, "cancels included"},
		// A job page that cannot read its job still offers Cancel (see
		// outage_test.go): 503, the job's state was not delivered.
		{"malformed", &cfsim.Fault{Kind: cfsim.FaultMalformed, Count: 3}, jobsPath("/" + processingJob),
			http.StatusServiceUnavailable, "could not read"},
		{"not found", nil, jobsPath("/00000000-0000-4000-8000-000000000000"),
			http.StatusNotFound, "no such bulk job"},
	}
	for _, tt := range tests {
		if tt.fault != nil {
			app.Sim.InjectFault(*tt.fault)
		}
		before := len(app.Sim.Requests())
		resp, body := app.Get(t, c, tt.path, false)
		app.Sim.ClearFaults()
		app.Clock.Advance(31 * time.Second) // past the breaker's cool-down, which the outage cases may open
		if tt.name == "blocked" {
			if n := len(app.Sim.Requests()) - before; n != 0 {
				t.Errorf("blocked: %d upstream calls during Retry-After", n)
			}
			app.Clock.Advance(5 * time.Minute)
		}
		if resp.StatusCode != tt.wantStatus {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.wantStatus)
		}
		if !strings.Contains(body, tt.wantText) {
			t.Errorf("%s: page lacks %q", tt.name, tt.wantText)
		}
		for _, bad := range []string{`"success"`, "goroutine", cfsim.DemoWriteToken, "<html><body><h1>"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: page contains %q", tt.name, bad)
			}
		}
	}
}

func TestBadStoredTokenExplained(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Nobody)
	resp := app.PostForm(t, c, "/credentials", map[string][]string{
		"label": {"typo"}, "account_id": {webtest.Account}, "kind": {"token"}, "token": {"a-token-cloudflare-never-issued"}})
	readAll(t, resp)
	_, body := app.Get(t, c, jobsPath(""), false)
	if !strings.Contains(body, "rejected the stored credential") {
		t.Error("invalid token not explained on the list page")
	}
	if strings.Contains(body, "a-token-cloudflare-never-issued") {
		t.Error("token shown on the page")
	}
}

func TestNoCredentialOffersToAddOne(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Nobody)
	resp, body := app.Get(t, c, jobsPath("/"+processingJob), false)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status %d, want 403", resp.StatusCode)
	}
	href, _ := doc(t, body).Find(`a[href^="/credentials?account_id="]`).Attr("href")
	if href != "/credentials?account_id="+webtest.Account {
		t.Errorf("add link = %q", href)
	}
	_, body = app.Get(t, c, href, false)
	if v, _ := doc(t, body).Find(`input[name="account_id"]`).Attr("value"); v != webtest.Account {
		t.Errorf("account not prefilled: %q", v)
	}
	if app.UpstreamCalls("", "") != 0 {
		t.Error("upstream called without a credential")
	}
}

func TestForbiddenAndTimeoutExplained(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Nobody)
	// The legacy key may write the first demo account only.
	readAll(t, app.PostForm(t, c, "/credentials", map[string][]string{
		"label": {"legacy"}, "account_id": {cfsim.DemoSecondAccountID}, "kind": {"key"},
		"email": {cfsim.DemoLegacyEmail}, "key": {cfsim.DemoLegacyKey}}))
	resp, body := app.Get(t, c, "/accounts/"+cfsim.DemoSecondAccountID+"/jobs", false)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "lacks the permission") {
		t.Errorf("forbidden: status %d, sentence missing", resp.StatusCode)
	}
	if strings.Contains(body, cfsim.DemoLegacyKey) {
		t.Error("global key shown on the page")
	}

	readAll(t, app.PostForm(t, c, "/credentials", map[string][]string{
		"label": {"legacy 1"}, "account_id": {webtest.Account}, "kind": {"key"},
		"email": {cfsim.DemoLegacyEmail}, "key": {cfsim.DemoLegacyKey}}))
	app.Handler.UpstreamTimeout = 300 * time.Millisecond
	app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointList, Kind: cfsim.FaultLatency, Latency: 3 * time.Second, Count: 3})
	resp, body = app.Get(t, c, jobsPath(""), false)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "did not answer in time") {
		t.Errorf("timeout: status %d, sentence missing", resp.StatusCode)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Browser(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if resp, _ := app.Get(t, c, p, false); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
	app.Store.Close()
	if resp, _ := app.Get(t, c, "/readyz", false); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with a closed database: %d, want 503", resp.StatusCode)
	}
}
