package handlers_test

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

const secondRunning = "8a4a2689-7fef-4609-89a5-0977a344b556" // the second demo account's PROCESSING job

func secondPath(q string) string { return "/accounts/" + cfsim.DemoSecondAccountID + "/jobs" + q }

// A poll that finds nothing new is a 204 with an empty body, under 1 KB on
// the wire with every header, for the card and for the list.
func TestUnchangedPollsAre204(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	for _, tb := range []*tab{
		openTab(t, app, c, jobsPath("/"+processingJob), "#job-"+processingJob),
		openTab(t, app, c, jobsPath(""), "#job-list-poll"),
	} {
		poll := tb.poll
		resp, body := tb.tick(t, app)
		if resp.StatusCode != http.StatusNoContent || body != "" {
			t.Errorf("%s: status %d, %d bytes; want 204 and none", poll, resp.StatusCode, len(body))
		}
		if wire, _ := httputil.DumpResponse(resp, false); len(wire) >= 1024 {
			t.Errorf("%s: %d bytes on the wire, want under 1 KB:\n%s", poll, len(wire), wire)
		}
		if tb.poll != poll {
			t.Errorf("a 204 changed the poller's URL")
		}
	}
}

// When one job of a list changes, the poll answers with that card alone,
// out of band, and the poller with the new version; the list is not sent.
func TestChangedJobIsTheOnlyCardSent(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	for _, id := range []string{"00000000-0000-4000-b000-000000000001", "00000000-0000-4000-b000-000000000002"} {
		// PENDING for hours: a live card that does not change.
		if err := app.Sim.AddJob(cfsim.DemoSecondAccountID, cfsim.SeedJob{ID: id, Action: "RELEASE", Status: "PENDING",
			Plan: &cfsim.Plan{PendingSteps: 100000, Total: 10}}); err != nil {
			t.Fatal(err)
		}
	}
	c := app.Login(t, webtest.Responder)
	tb := openTab(t, app, c, secondPath(""), "#job-list-poll")
	if !strings.Contains(tb.poll, "00000000-0000-4000-b000-000000000001") || !strings.Contains(tb.poll, secondRunning) {
		t.Fatalf("poller %q does not name the live cards", tb.poll)
	}
	before := tb.poll
	app.Clock.Advance(interval) // the PROCESSING job moves on
	resp, body := tb.tick(t, app)
	d := doc(t, body)
	cards := d.Find(`[data-testid="job-card"]`)
	if resp.StatusCode != http.StatusOK || cards.Length() != 1 || cards.AttrOr("id", "") != "job-"+secondRunning {
		t.Fatalf("status %d, %d cards; want 200 and the changed card only\n%s", resp.StatusCode, cards.Length(), body)
	}
	if cards.AttrOr("hx-swap-oob", "") != "true" || resp.Header.Get("HX-Retarget") != "" || d.Find("#job-list").Length() != 0 {
		t.Errorf("the card is not swapped out of band on its own\n%s", body)
	}
	if tb.poll == "" || tb.poll == before {
		t.Errorf("poller after the change = %q (before %q), want a new version", tb.poll, before)
	}
	if resp, _ := tb.tick(t, app); resp.StatusCode != http.StatusNoContent {
		t.Errorf("the next poll: status %d, want 204", resp.StatusCode)
	}
}

// A job that appears on the list's page (started since) brings the whole
// region again, in place of the list.
func TestNewJobRelistsTheRegion(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	tb := openTab(t, app, c, jobsPath(""), "#job-list-poll")
	fresh := addRunning(t, app, 1)[0]
	app.Clock.Advance(interval)
	resp, body := tb.tick(t, app)
	if resp.Header.Get("HX-Retarget") != "#job-list" || resp.Header.Get("HX-Reswap") != "outerHTML" {
		t.Errorf("retarget %q, reswap %q; want the list region", resp.Header.Get("HX-Retarget"), resp.Header.Get("HX-Reswap"))
	}
	if doc(t, body).Find(`#job-list #job-`+fresh).Length() != 1 {
		t.Errorf("the region lacks the new job\n%s", body)
	}
}

// A cancel's answer is in the snapshot at once: another tab's card poll and
// a list poll show the job CANCELLED without any read of Cloudflare.
func TestCancelShowsOnTheNextPoll(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	other := openTab(t, app, c, jobsPath("/"+processingJob), "#job-"+processingJob)
	list := openTab(t, app, c, jobsPath(""), "#job-list-poll")
	resp, _ := app.HTMXPost(t, c, jobsPath("/"+processingJob), cancelPath(processingJob), url.Values{})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("cancel: status %d", resp.StatusCode)
	}
	lists, gets := reads(app)
	_, body := other.tick(t, app)
	card := doc(t, body).Find(`#job-` + processingJob)
	if card.AttrOr("data-status", "") != "CANCELLED" || card.AttrOr("hx-trigger", "") != "" || other.poll != "" {
		t.Errorf("the other tab's card after the cancel: status %q, trigger %q\n%s", card.AttrOr("data-status", ""), card.AttrOr("hx-trigger", ""), body)
	}
	_, body = list.tick(t, app)
	if st := doc(t, body).Find(`#job-`+processingJob).AttrOr("data-status", ""); st != "CANCELLED" {
		t.Errorf("the list's poll shows the job %q, want CANCELLED\n%s", st, body)
	}
	if l, g := reads(app); l != lists || g != gets {
		t.Errorf("the polls read Cloudflare %d times", l-lists+g-gets)
	}
}

// A read that fails marks the card at once, though the job did not change,
// and the marker goes when a read succeeds again.
func TestStaleMarkerComesAndGoesOnPolls(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Viewer)
	tb := openTab(t, app, c, jobsPath("/"+processingJob), "#job-"+processingJob)
	app.Clock.Advance(interval)
	app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointList, Kind: cfsim.FaultStatus, Status: 503, Count: 3})
	_, body := tb.tick(t, app)
	want := "Showing Cloudflare's answer as of 09:00:00 UTC. Cloudflare is unavailable right now: it answered 503 Service Unavailable."
	if got := strings.Join(strings.Fields(doc(t, body).Find(`[data-testid="stale"]`).Text()), " "); got != want {
		t.Errorf("card marker = %q, want %q", got, want)
	}
	if resp, _ := tb.tick(t, app); resp.StatusCode != http.StatusNoContent {
		t.Errorf("a second poll with the same marker: status %d, want 204", resp.StatusCode)
	}
	app.Clock.Advance(interval)
	resp, body := tb.tick(t, app)
	if resp.StatusCode != http.StatusOK || doc(t, body).Find(`[data-testid="stale"]`).Length() != 0 {
		t.Errorf("after Cloudflare answered again: status %d, marker still shown", resp.StatusCode)
	}
}

// The cancel dialog is a fragment, from the snapshot, for those who may
// cancel, syncing on whatever polls the card.
func TestCancelDialogFragment(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	dialog := jobsPath("/" + processingJob + "/cancel-dialog")
	app.Get(t, c, jobsPath(""), false)
	lists, _ := reads(app)
	for page, sync := range map[string]string{jobsPath(""): "#job-list:replace", jobsPath("/" + processingJob): "#job-" + processingJob + ":replace"} {
		resp, body := htmxGet(t, app, c, page, dialog)
		d := doc(t, body).Find(`dialog#cancel-` + processingJob)
		if resp.StatusCode != http.StatusOK || d.Find(`form`).AttrOr("hx-sync", "") != sync {
			t.Errorf("from %s: status %d, hx-sync %q; want 200 and %q", page, resp.StatusCode, d.Find(`form`).AttrOr("hx-sync", ""), sync)
		}
		if !strings.Contains(d.Find(`[data-testid="cancel-consequence"]`).Text(), "pending messages will not be moved") {
			t.Errorf("from %s: the dialog lacks the consequence\n%s", page, body)
		}
	}
	if l, g := reads(app); l != lists || g != 0 {
		t.Errorf("the dialogs read Cloudflare: %d lists, %d jobs", l-lists, g)
	}
	if resp, _ := app.Get(t, c, dialog, false); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != jobsPath("/"+processingJob+"?confirm=cancel") {
		t.Errorf("without htmx: status %d to %q, want the no-JS confirmation", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := htmxGet(t, app, c, jobsPath(""), jobsPath("/"+completedJob+"/cancel-dialog")); resp.StatusCode != http.StatusConflict {
		t.Errorf("a finished job's dialog: status %d, want 409", resp.StatusCode)
	}
	viewer := app.Login(t, webtest.Viewer)
	if resp, body := htmxGet(t, app, viewer, jobsPath(""), dialog); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "<dialog") {
		t.Errorf("a viewer's dialog: status %d, want 403 and no dialog", resp.StatusCode)
	}
	nobody := app.Login(t, webtest.Nobody)
	if resp, _ := htmxGet(t, app, nobody, jobsPath(""), dialog); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a dialog without a credential: status %d, want 403", resp.StatusCode)
	}
}

// A poll's state that is not what the dashboard writes is a 400.
func TestPollParametersAreChecked(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Viewer)
	for _, q := range []string{
		"/" + processingJob + "/card?v=x", "/" + processingJob + "/card?v=1&s=zz",
		"?v=1&live=" + strings.ToUpper(processingJob), "?v=1&live=" + processingJob + "&h=1", "?v=-1",
		"?v=1&live=" + strings.Repeat(processingJob+",", 100) + processingJob,
	} {
		if resp, _ := htmxGet(t, app, c, jobsPath(""), jobsPath(q)); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, resp.StatusCode)
		}
	}
}
