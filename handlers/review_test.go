package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web/webtest"
)

// A browser that gives up while Cloudflare is still cancelling must not erase
// the audit record of a cancel that went through.
func TestCancelAuditSurvivesClientDisconnect(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	token := app.CSRF(t, c)
	app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointCancel, Kind: cfsim.FaultLatency, Latency: 400 * time.Millisecond, After: true, Count: 1})
	impatient := *c
	impatient.Timeout = 100 * time.Millisecond
	req, _ := http.NewRequest(http.MethodPost, app.URL+cancelPath(processingJob), strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", app.URL)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", token)
	if resp, err := impatient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the request did not time out")
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		events, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: store.ActionJobCancel, JobID: processingJob})
		if len(events) == 1 && events[0].Outcome == "ok" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Error("no audit event for a cancel that reached Cloudflare")
}

// Concurrent guesses cannot slip past the per-account limit.
func TestConcurrentLoginGuessesAreLimited(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Browser(t)
	token := app.CSRF(t, c)
	var mu sync.Mutex
	checked := 0
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := app.PostForm(t, c, "/login", url.Values{"email": {webtest.Admin}, "password": {"wrong password guess"}, "csrf": {token}})
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				mu.Lock()
				checked++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// Checks in progress count once a guess has failed, so only the guesses
	// that started before the first failure, one per hash slot, can pass
	// the limit of 5.
	if most := max(5, runtime.NumCPU()); checked > most {
		t.Errorf("%d concurrent guesses were checked, want at most %d", checked, most)
	}
}

// An expired session's htmx POST goes to the login page, it is not refused as
// a forgery.
func TestExpiredSessionHtmxPostRedirects(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	token := app.CSRF(t, c)
	app.Clock.Advance(31 * time.Minute)
	resp, _ := app.HTMXPostToken(t, c, token, jobPath(processingJob), cancelPath(processingJob), url.Values{})
	if got := resp.Header.Get("HX-Redirect"); !strings.HasPrefix(got, "/login?next=") {
		t.Errorf("status %d, HX-Redirect %q; want a redirect to login", resp.StatusCode, got)
	}
	if n := app.UpstreamCalls(http.MethodPost, "/cancel"); n != 0 {
		t.Errorf("an expired session cancelled (%d upstream POSTs)", n)
	}
}

// A list refresh that fails leaves the list on screen, still polling.
func TestFailedListRefreshKeepsTheList(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Viewer)
	app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointList, Kind: cfsim.FaultStatus, Status: 503, Count: 3})
	req, _ := http.NewRequest(http.MethodGet, app.URL+jobsPath(""), nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Trigger", "job-list")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.Header.Get("HX-Retarget") != "#flash" || !strings.Contains(body, "unavailable right now") {
		t.Errorf("failed refresh: retarget %q, body %q", resp.Header.Get("HX-Retarget"), body)
	}
	if strings.Contains(body, `id="job-list"`) {
		t.Error("a failed refresh replaced the list")
	}
}

// Polls do not keep a session alive: an open tab ends after the idle timeout.
func TestPollsDoNotExtendTheSession(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Viewer)
	for range 8 {
		app.Clock.Advance(5 * time.Minute)
		req, _ := http.NewRequest(http.MethodGet, app.URL+jobsPath("/"+processingJob+"/card"), nil)
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Trigger", "job-"+processingJob)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if resp, _ := app.Get(t, c, "/accounts", false); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after 40 minutes of polls only: status %d, want the login redirect", resp.StatusCode)
	}
}
