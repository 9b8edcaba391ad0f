package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

// After five failures in a row, a page with nothing to show says why, until
// when, and that cancelling still works; no read is sent, a cancel is.
func TestBreakerOpenSaysWhyAndUntilWhen(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	app.Sim.InjectFault(cfsim.Fault{Kind: cfsim.FaultStatus, Status: 503, Probability: 1})
	for i := range 2 { // three attempts, then two: the fifth failure opens the breaker
		if i > 0 {
			// The list is read once per refresh interval, however often it
			// is loaded: the second load comes an interval later.
			app.Clock.Advance(5 * time.Second)
		}
		app.Get(t, c, jobsPath(""), false)
	}
	until := app.Clock.Now().Add(30 * time.Second).UTC().Format("15:04:05")
	before := len(app.Sim.Requests())
	resp, body := app.Get(t, c, jobsPath("/"+processingJob), false)
	if n := len(app.Sim.Requests()) - before; n != 0 {
		t.Errorf("reads with the breaker open sent %d requests", n)
	}
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", resp.StatusCode)
	}
	want := "Cloudflare failed 5 times in a row; reads pause until " + until + " UTC"
	if !strings.Contains(body, want) || !strings.Contains(body, "Cancelling still works.") {
		t.Errorf("page lacks %q and that cancelling works", want)
	}
	app.Sim.ClearFaults()
	job := jobsPath("/" + processingJob)
	app.HTMXPost(t, c, job, job+"/cancel", url.Values{"reason": {"breaker open"}})
	if n := app.UpstreamCalls(http.MethodPost, "/cancel"); n != 1 {
		t.Errorf("cancels sent with the breaker open = %d, want 1", n)
	}
}
