package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web/webtest"
)

const (
	discoveringJob = "bc935aad-bcdc-4389-ae30-1e940d3af8ff"
	cancelledJob   = "3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e42"
)

func jobPath(job string) string    { return jobsPath("/" + job) }
func cancelPath(job string) string { return jobsPath("/" + job + "/cancel") }

// cancelPOSTs counts cancel requests the simulator received for job.
func cancelPOSTs(app *webtest.App, job string) int {
	return app.UpstreamCalls(http.MethodPost, job+"/cancel")
}

func TestCancelRunningJob(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	app.Clock.Advance(3 * time.Second)
	resp, body := app.HTMXPost(t, c, jobPath(processingJob), cancelPath(processingJob), url.Values{"reason": {"wrong search: finance mailboxes"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("cancel: status %d\n%s", resp.StatusCode, body)
	}
	sim, _ := app.Sim.Job(webtest.Account, processingJob)
	if sim.Status != "CANCELLED" {
		t.Fatalf("simulator job status %s", sim.Status)
	}
	d := doc(t, body)
	card := d.Find(`[data-testid="job-card"]`)
	if st, _ := card.Attr("data-status"); st != "CANCELLED" {
		t.Errorf("card status %q, want CANCELLED", st)
	}
	if _, ok := card.Attr("hx-trigger"); ok {
		t.Error("cancelled card still polls")
	}
	for name, want := range map[string]int{
		"total": sim.TotalDiscovered, "pending": sim.Pending, "successful": sim.Successful,
		"failed": sim.Failed, "cancelled": sim.Cancelled, "skipped": sim.Skipped,
	} {
		got := strings.TrimSpace(d.Find(`[data-testid="counter-` + name + `"] dd`).Text())
		if got == "" {
			got = strings.TrimSpace(d.Find(`[data-testid="counter-` + name + `"]`).Text())
		}
		if !strings.Contains(got, commas(int64(want))) {
			t.Errorf("counter %s = %q, want %s", name, got, commas(int64(want)))
		}
	}
	notice := d.Find(`[data-testid="card-notice"]`).Text()
	if !strings.Contains(notice, "Cancelled.") || !strings.Contains(notice, commas(int64(sim.Cancelled))+" pending messages will not be moved") {
		t.Errorf("notice = %q", notice)
	}
	if d.Find(`[data-testid="cancel-button"]`).Length() != 0 {
		t.Error("cancelled card still offers cancel")
	}
	events, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: store.ActionJobCancel, JobID: processingJob})
	if len(events) != 1 || events[0].Outcome != "ok" || events[0].Reason != "wrong search: finance mailboxes" ||
		events[0].UserEmail != webtest.Responder || events[0].AccountID != webtest.Account {
		t.Errorf("audit events = %+v", events)
	}
}

func TestCancelDoubleSubmitSendsOnce(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	token := app.CSRF(t, c)
	app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointCancel, Kind: cfsim.FaultLatency, Latency: 300 * time.Millisecond, Count: 5})
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := app.HTMXPostToken(t, c, token, jobPath(processingJob), cancelPath(processingJob), url.Values{})
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	// And a third, a moment later (a user clicking again after the answer).
	resp, body := app.HTMXPost(t, c, jobPath(processingJob), cancelPath(processingJob), url.Values{})
	if n := cancelPOSTs(app, processingJob); n != 1 {
		t.Errorf("upstream cancel POSTs = %d, want 1", n)
	}
	if statuses[0] != http.StatusOK || statuses[1] != http.StatusOK || resp.StatusCode != http.StatusOK {
		t.Errorf("statuses %v and %d, want all 200", statuses, resp.StatusCode)
	}
	if !strings.Contains(body, "Already cancelled: Cloudflare showed this job as Cancelled") {
		t.Error("repeat submit not explained")
	}
}

func TestCancelFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		user           string
		credToken      string // a credential to add for webtest.Nobody
		job            string
		fault          *cfsim.Fault
		wantStatus     int
		wantStatusAttr string // the card's data-status, "" when no card
		wantText       string
		wantPOSTs      int
	}{
		// The page read showed the job COMPLETED, a state that never changes:
		// nothing is sent.
		{name: "already completed", user: webtest.Responder, job: completedJob,
			wantStatus: http.StatusConflict, wantStatusAttr: "COMPLETED", wantText: "already finished as Completed", wantPOSTs: 0},
		{name: "token lacks write", user: webtest.Nobody, credToken: cfsim.DemoReadToken, job: processingJob,
			wantStatus: http.StatusForbidden, wantStatusAttr: "PROCESSING", wantText: "needs Cloud Email Security: Write", wantPOSTs: 1},
		{name: "invalid credential", user: webtest.Nobody, credToken: "revoked-token-0000000000000", job: processingJob,
			wantStatus: http.StatusForbidden, wantText: "rejected the stored credential", wantPOSTs: 1},
		{name: "no credential", user: webtest.Nobody, job: processingJob,
			wantStatus: http.StatusForbidden, wantText: "no Cloudflare credential for this account", wantPOSTs: 0},
		{name: "rate limited", user: webtest.Responder, job: processingJob,
			fault:      &cfsim.Fault{Endpoint: cfsim.EndpointCancel, Kind: cfsim.FaultRateLimit, RetryAfter: 90 * time.Second, Count: 1},
			wantStatus: http.StatusServiceUnavailable, wantStatusAttr: "PROCESSING", wantText: "try again in 1 minute 30 seconds", wantPOSTs: 1},
		{name: "unavailable, not cancelled", user: webtest.Responder, job: processingJob,
			fault:      &cfsim.Fault{Endpoint: cfsim.EndpointCancel, Kind: cfsim.FaultStatus, Status: 503, Count: 1},
			wantStatus: http.StatusBadGateway, wantStatusAttr: "PROCESSING", wantText: "did not confirm the cancel; the job is still Processing", wantPOSTs: 1},
		{name: "answer lost, cancelled", user: webtest.Responder, job: processingJob,
			fault:      &cfsim.Fault{Endpoint: cfsim.EndpointCancel, Kind: cfsim.FaultDrop, After: true, Count: 1},
			wantStatus: http.StatusOK, wantStatusAttr: "CANCELLED", wantText: "answer was lost, but reading the job back shows it is cancelled", wantPOSTs: 1},
		{name: "job deleted", user: webtest.Responder, job: "00000000-0000-4000-8000-00000000dead",
			wantStatus: http.StatusNotFound, wantText: "no such bulk job", wantPOSTs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := webtest.New(t, webtest.Options{})
			c := app.Login(t, tt.user)
			if tt.credToken != "" {
				readAll(t, app.PostForm(t, c, "/credentials", url.Values{"label": {"x"}, "account_id": {webtest.Account},
					"kind": {"token"}, "token": {tt.credToken}}))
			}
			app.Get(t, c, jobPath(tt.job), false) // the analyst is looking at the job
			app.Sim.ResetRequests()
			if tt.fault != nil {
				app.Sim.InjectFault(*tt.fault)
			}
			resp, body := app.HTMXPost(t, c, jobPath(tt.job), cancelPath(tt.job), url.Values{})
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			d := doc(t, body)
			if tt.wantStatusAttr != "" {
				if st, _ := d.Find(`[data-testid="job-card"]`).Attr("data-status"); st != tt.wantStatusAttr {
					t.Errorf("card status %q, want %q\n%s", st, tt.wantStatusAttr, body)
				}
			}
			if !strings.Contains(d.Text(), tt.wantText) {
				t.Errorf("answer lacks %q:\n%s", tt.wantText, body)
			}
			if n := cancelPOSTs(app, tt.job); n != tt.wantPOSTs {
				t.Errorf("upstream cancel POSTs = %d, want %d", n, tt.wantPOSTs)
			}
			if tt.wantStatusAttr == "PROCESSING" && d.Find(`[data-testid="cancel-button"]`).Length() == 0 && tt.user == webtest.Responder {
				t.Error("a retryable failure removed the cancel button")
			}
			if tt.wantText != "no Cloudflare credential for this account" {
				events, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: store.ActionJobCancel, JobID: tt.job})
				if len(events) != 1 || events[0].Outcome == "" {
					t.Errorf("audit events = %+v, want one with an outcome", events)
				}
			}
			for _, secret := range []string{cfsim.DemoWriteToken, cfsim.DemoReadToken, tt.credToken} {
				if secret != "" && strings.Contains(body, secret) {
					t.Error("answer contains a token")
				}
			}
		})
	}
}

func TestCancelRefusedWithoutUpstreamCall(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	viewer := app.Login(t, webtest.Viewer)
	resp, body := app.HTMXPost(t, viewer, jobPath(processingJob), cancelPath(processingJob), url.Values{})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "can view jobs but not cancel") {
		t.Errorf("viewer cancel: status %d", resp.StatusCode)
	}
	responder := app.Login(t, webtest.Responder)
	for name, token := range map[string]string{"no token": "", "wrong token": "forged"} {
		resp, _ := app.HTMXPostToken(t, responder, token, jobPath(processingJob), cancelPath(processingJob), url.Values{})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, resp.StatusCode)
		}
	}
	// GET on the cancel route is not a cancel.
	if resp, _ := app.Get(t, responder, cancelPath(processingJob), false); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET cancel: status %d, want 405", resp.StatusCode)
	}
	if n := app.UpstreamCalls(http.MethodPost, ""); n != 0 {
		t.Errorf("refused cancels made %d upstream POSTs", n)
	}
	if sim, _ := app.Sim.Job(webtest.Account, processingJob); sim.Status != "PROCESSING" {
		t.Errorf("job status %s after refused cancels", sim.Status)
	}
	events, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: store.ActionJobCancel})
	if len(events) != 1 || events[0].Outcome != "denied" || events[0].UserEmail != webtest.Viewer {
		t.Errorf("audit = %+v, want the viewer's denied attempt only", events)
	}
}

func TestCancelWithoutJavaScript(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	// The Cancel link opens the job page with the confirmation shown.
	_, page := app.Get(t, c, jobPath(discoveringJob)+"?confirm=cancel", false)
	form := doc(t, page).Find(`[data-testid="cancel-panel"] form`)
	if action, _ := form.Attr("action"); action != cancelPath(discoveringJob) {
		t.Fatalf("no-JS confirmation form action = %q", action)
	}
	resp := app.PostForm(t, c, cancelPath(discoveringJob), url.Values{"reason": {"no js"}})
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != jobPath(discoveringJob) {
		t.Fatalf("no-JS cancel: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = app.Get(t, c, jobPath(discoveringJob), false)
	if !strings.Contains(page, "Cancelled.") {
		t.Error("flash message missing after the redirect")
	}
	if st, _ := doc(t, page).Find(`[data-testid="job-card"]`).Attr("data-status"); st != "CANCELLED" {
		t.Errorf("card status %q after no-JS cancel", st)
	}
}

func TestCardFragment(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Viewer)
	_, body := app.Get(t, c, jobsPath("/"+processingJob+"/card"), true)
	d := doc(t, body)
	before := d.Find(`[data-testid="counter-pending"]`).Text()
	if trig, _ := d.Find(`[data-testid="job-card"]`).Attr("hx-trigger"); !strings.Contains(trig, "every") {
		t.Errorf("live card trigger = %q", trig)
	}
	app.Clock.Advance(10 * time.Second)
	_, body = app.Get(t, c, jobsPath("/"+processingJob+"/card"), true)
	if after := doc(t, body).Find(`[data-testid="counter-pending"]`).Text(); after == before {
		t.Errorf("pending counter did not move: %q", after)
	}
	_, body = app.Get(t, c, jobsPath("/"+completedJob+"/card"), true)
	if strings.Contains(body, "hx-trigger") {
		t.Error("terminal card carries a trigger")
	}
	// A plain browser request for the fragment goes to the job page.
	if resp, _ := app.Get(t, c, jobsPath("/"+completedJob+"/card"), false); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("non-htmx card request: %d", resp.StatusCode)
	}
}
