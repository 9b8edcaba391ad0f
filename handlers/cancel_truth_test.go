package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web/webtest"
)

// lazyUpstream is a Cloudflare that accepts a cancel (200) but does not
// cancel while ignore is set: it answers with the job as it is. It counts
// the cancel POSTs it received and, for each, whether the audit log already
// held the cancel's pending row when the POST arrived.
type lazyUpstream struct {
	app          *webtest.App
	ignore       atomic.Bool
	staleAnswer  atomic.Bool // cancel for real, but answer with the job as it was before
	posts        atomic.Int32
	pendingSeen  atomic.Int32
	beforeCancel func()
}

func (u *lazyUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/cancel") {
		u.posts.Add(1)
		job := strings.TrimSuffix(r.URL.Path[strings.LastIndex(strings.TrimSuffix(r.URL.Path, "/cancel"), "/")+1:], "/cancel")
		events, _ := u.app.Store.ListAudit(context.Background(), store.AuditFilter{Action: store.ActionJobCancel, JobID: job})
		for _, e := range events {
			if e.Outcome == store.CancelPending {
				u.pendingSeen.Add(1)
				break
			}
		}
		if u.beforeCancel != nil {
			u.beforeCancel()
		}
		get := r.Clone(r.Context())
		get.Method = http.MethodGet
		get.URL.Path = strings.TrimSuffix(r.URL.Path, "/cancel")
		switch {
		case u.staleAnswer.Load():
			before := httptest.NewRecorder()
			u.app.Sim.ServeHTTP(before, get)
			u.app.Sim.ServeHTTP(httptest.NewRecorder(), r)
			for k, v := range before.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(before.Code)
			_, _ = w.Write(before.Body.Bytes())
			return
		case u.ignore.Load():
			r = get
		}
	}
	u.app.Sim.ServeHTTP(w, r)
}

func newLazyApp(t *testing.T) (*webtest.App, *lazyUpstream) {
	t.Helper()
	return newLazyAppWith(t, webtest.Options{})
}

// newLazyAppWith is newLazyApp with options (the upstream is the lazy one).
func newLazyAppWith(t *testing.T, opts webtest.Options) (*webtest.App, *lazyUpstream) {
	t.Helper()
	up := &lazyUpstream{}
	up.ignore.Store(true)
	opts.Upstream = up
	up.app = webtest.New(t, opts)
	return up.app, up
}

// Defect 1: a 200 whose job still runs is not a cancel, and a retry after it
// goes to Cloudflare again.
func TestCancelAcceptedButStillRunningIsNotCancelled(t *testing.T) {
	t.Parallel()
	app, up := newLazyApp(t)
	c := app.Login(t, webtest.Responder)
	resp, body := app.HTMXPost(t, c, jobPath(processingJob), cancelPath(processingJob), url.Values{})
	d := doc(t, body)
	card := d.Find(`[data-testid="job-card"]`)
	if st, _ := card.Attr("data-status"); st != "PROCESSING" {
		t.Fatalf("card status %q, want PROCESSING\n%s", st, body)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("status %d, want 202", resp.StatusCode)
	}
	text := d.Text()
	if strings.Contains(text, "Cancelled.") || !strings.Contains(text, "accepted the cancel, but the job is still Processing") {
		t.Errorf("answer does not say the job still runs:\n%s", text)
	}
	if _, ok := card.Attr("hx-trigger"); !ok {
		t.Error("the card stopped polling a running job")
	}
	if d.Find(`[data-testid="cancel-button"]`).Length() == 0 {
		t.Error("the cancel button is gone though the job still runs")
	}
	events, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: store.ActionJobCancel, JobID: processingJob})
	if len(events) != 1 || events[0].Outcome != "not_confirmed" {
		t.Errorf("audit = %+v, want one not_confirmed row", events)
	}

	// The retry is decided by the job's state (running), not by the log: it
	// reaches Cloudflare, and this time Cloudflare cancels.
	up.ignore.Store(false)
	app.Clock.Advance(time.Second)
	resp, body = app.HTMXPost(t, c, jobPath(processingJob), cancelPath(processingJob), url.Values{})
	if n := up.posts.Load(); n != 2 {
		t.Fatalf("cancel POSTs = %d, want 2 (the retry must reach Cloudflare)", n)
	}
	if st, _ := doc(t, body).Find(`[data-testid="job-card"]`).Attr("data-status"); resp.StatusCode != http.StatusOK || st != "CANCELLED" {
		t.Errorf("retry: status %d, card %q, want 200 CANCELLED", resp.StatusCode, st)
	}
	if !strings.Contains(body, "Cancelled.") {
		t.Error("retry answer does not say cancelled")
	}
}

// Defect 1: a 200 whose job still runs, and a read-back that shows it
// cancelled (Cloudflare finished the cancel a moment later), is a success.
func TestCancelReadBackDecides(t *testing.T) {
	t.Parallel()
	app, up := newLazyApp(t)
	up.ignore.Store(false)
	up.staleAnswer.Store(true) // Cloudflare cancels, but its answer shows the job before it
	c := app.Login(t, webtest.Responder)
	resp, body := app.HTMXPost(t, c, jobPath(processingJob), cancelPath(processingJob), url.Values{})
	if st, _ := doc(t, body).Find(`[data-testid="job-card"]`).Attr("data-status"); resp.StatusCode != http.StatusOK || st != "CANCELLED" {
		t.Fatalf("status %d, card %q, want 200 CANCELLED\n%s", resp.StatusCode, st, body)
	}
	events, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: store.ActionJobCancel, JobID: processingJob})
	if len(events) != 1 || events[0].Outcome != "ok" || !strings.Contains(events[0].Detail, "still PROCESSING") {
		t.Errorf("audit = %+v, want one ok row that notes the first answer", events)
	}
}

// Defect 2: two responders at once send one POST; both are audited, the
// second as joined. Defect 3: the POST leaves only after the pending row.
func TestCancelTwoRespondersOnePOST(t *testing.T) {
	t.Parallel()
	app, up := newLazyApp(t)
	up.ignore.Store(false)
	release := make(chan struct{})
	var once sync.Once
	up.beforeCancel = func() { once.Do(func() { <-release }) }
	a, b := app.Login(t, webtest.Responder), app.Login(t, webtest.Admin)
	var wg sync.WaitGroup
	bodies := make([]string, 2)
	for i, c := range []*http.Client{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, bodies[i] = app.HTMXPost(t, c, jobPath(processingJob), cancelPath(processingJob), url.Values{})
		}()
		if i == 0 {
			waitFor(t, func() bool { return up.posts.Load() == 1 })
		}
	}
	// The second request has joined the flight while the first POST hangs.
	waitFor(t, func() bool { return app.Handler.CancelCalls() == 2 })
	close(release)
	wg.Wait()
	if n := up.posts.Load(); n != 1 {
		t.Fatalf("cancel POSTs = %d, want 1", n)
	}
	if up.pendingSeen.Load() != 1 {
		t.Error("the POST left before the pending audit row was written")
	}
	for i, body := range bodies {
		if st, _ := doc(t, body).Find(`[data-testid="job-card"]`).Attr("data-status"); st != "CANCELLED" {
			t.Errorf("answer %d: card %q, want CANCELLED", i, st)
		}
	}
	if countAudit(app, processingJob, "ok") != 1 || countAudit(app, processingJob, "joined") != 1 {
		events, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: store.ActionJobCancel})
		t.Errorf("audit = %+v, want one ok and one joined", events)
	}
	if !strings.Contains(bodies[1], "was already cancelling this job") {
		t.Errorf("the second responder is not told a colleague did it:\n%s", bodies[1])
	}
}

// Defect 2: a second process on the same database does not send a second
// POST while the first process's cancel is in flight; it waits for its
// outcome and shows the job.
func TestCancelAcrossReplicasOnePOST(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			testCancelAcrossReplicasOnePOST(t, webtest.Options{Postgres: backend == "postgres"})
		})
	}
}

func testCancelAcrossReplicasOnePOST(t *testing.T, opts webtest.Options) {
	app, up := newLazyAppWith(t, opts)
	up.ignore.Store(false)
	release := make(chan struct{})
	var once sync.Once
	up.beforeCancel = func() { once.Do(func() { <-release }) }
	replica := app.Replica(t)
	a := app.Login(t, webtest.Responder)
	b := replica.Login(t, webtest.Admin)
	done := make(chan string)
	go func() {
		_, body := app.HTMXPost(t, a, jobPath(processingJob), cancelPath(processingJob), url.Values{})
		done <- body
	}()
	waitFor(t, func() bool { return up.posts.Load() == 1 })
	go func() {
		_, body := replica.HTMXPost(t, b, jobPath(processingJob), cancelPath(processingJob), url.Values{})
		done <- body
	}()
	waitFor(t, func() bool { return replica.Handler.CancelAwaits() == 1 }) // the replica waits on the claim
	close(release)
	first, second := <-done, <-done
	if n := up.posts.Load(); n != 1 {
		t.Fatalf("cancel POSTs = %d, want 1 across two replicas", n)
	}
	for _, body := range []string{first, second} {
		if st, _ := doc(t, body).Find(`[data-testid="job-card"]`).Attr("data-status"); st != "CANCELLED" {
			t.Errorf("card %q, want CANCELLED\n%s", st, body)
		}
	}
	// The replica's responder pressed Cancel too: the audit log says so, and
	// so does their card.
	if n, joined := countAudit(app, processingJob, ""), countAudit(app, processingJob, "joined"); n != 2 || joined != 1 {
		t.Errorf("audit rows of the job: %d, %d of them joined; want 2: the cancel and the replica's request that joined it", n, joined)
	}
	if !strings.Contains(second, "was already cancelling this job") {
		t.Errorf("the replica's responder is not told a colleague did it:\n%s", second)
	}
}

// Defect 2: denied attempts by a viewer cannot hide a cancel, and a repeat
// is decided by the job's state: the job reads CANCELLED, nothing is sent,
// even when a read-back would fail.
func TestCancelRepeatDecidedByJobState(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	r, v := app.Login(t, webtest.Responder), app.Login(t, webtest.Viewer)
	if resp, _ := app.HTMXPost(t, r, jobPath(processingJob), cancelPath(processingJob), url.Values{}); resp.StatusCode != http.StatusOK {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	for range 25 {
		app.HTMXPost(t, v, jobPath(processingJob), cancelPath(processingJob), url.Values{})
	}
	app.Clock.Advance(3 * time.Minute)
	app.Sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointGet, Kind: cfsim.FaultStatus, Status: 503, Probability: 1})
	resp, body := app.HTMXPost(t, r, jobPath(processingJob), cancelPath(processingJob), url.Values{})
	if n := cancelPOSTs(app, processingJob); n != 1 {
		t.Errorf("cancel POSTs = %d, want 1", n)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Already cancelled") {
		t.Errorf("repeat: status %d\n%s", resp.StatusCode, body)
	}
}

func countAudit(app *webtest.App, job, outcome string) int {
	events, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: store.ActionJobCancel, JobID: job})
	n := 0
	for _, e := range events {
		if outcome == "" || e.Outcome == outcome {
			n++
		}
	}
	return n
}

// waitFor polls cond for up to 10 s of real time.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached in 10s")
}
