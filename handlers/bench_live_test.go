package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

// wireCounter counts the bytes a client reads from and writes to its
// connections: what a poll costs on the wire, headers included.
type wireCounter struct{ read, written atomic.Int64 }

type countedConn struct {
	net.Conn
	w *wireCounter
}

func (c countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.read.Add(int64(n))
	return n, err
}

func (c countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.written.Add(int64(n))
	return n, err
}

// countingClient is c (its cookies) over connections counted by w.
func countingClient(c *http.Client, w *wireCounter) *http.Client {
	var d net.Dialer
	return &http.Client{Jar: c.Jar, Timeout: c.Timeout, CheckRedirect: c.CheckRedirect, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countedConn{conn, w}, nil
		},
	}}
}

// poll sends the request htmx sends for a polling element: HX-Request, the
// element's id as HX-Trigger and the page as HX-Current-URL.
func poll(b *testing.B, app *webtest.App, c *http.Client, page, path, trigger string) (*http.Response, int) {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, app.URL+path, nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Trigger", trigger)
	req.Header.Set("HX-Current-URL", app.URL+page)
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, int(n)
}

// pollerOf returns the hx-get and id of the page's polling element inside
// sel (the element itself or a descendant).
func pollerOf(b *testing.B, body, sel string) (string, string) {
	b.Helper()
	region := doc(b, body).Find(sel)
	el := region.Filter(`[hx-trigger*="every"]`)
	if el.Length() == 0 {
		el = region.Find(`[hx-trigger*="every"]`)
	}
	url, ok := el.First().Attr("hx-get")
	if !ok {
		b.Fatalf("no poller in %s", sel)
	}
	return url, el.First().AttrOr("id", "")
}

// seed50 adds 45 finished jobs to the demo account, so its list holds 50
// jobs with 5 of the demo's running or pending ones among them.
func seed50(b *testing.B, app *webtest.App) {
	for i := range 45 {
		created := time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC)
		comment := fmt.Sprintf("bench job %d", i)
		if err := app.Sim.AddJob(webtest.Account, cfsim.SeedJob{
			ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Account: webtest.Account, Action: "MOVE",
			Destination: "JunkEmail", Comment: &comment,
			Status: "COMPLETED", TotalDiscovered: 1200, Successful: 1190, Failed: 10,
			CreatedAt: &created, StartedAt: &created, CompletedAt: &created,
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLivePolls measures what an open tab costs the dashboard when
// nothing changed upstream (the clock stands still, so every answer comes
// from what the dashboard already holds): /healthz through the same stack
// as the floor, the card poll of a job page, and the poll of a 50-job list.
// wire-B/op is the bytes of the answer on the wire, headers included.
func BenchmarkLivePolls(b *testing.B) {
	app := webtest.New(b, webtest.Options{RateLimit: -1})
	seed50(b, app)
	c := app.Login(b, webtest.Responder)
	job := jobsPath("/" + processingJob)
	list := jobsPath("?per_page=50")
	run := func(b *testing.B, page, path, trigger string, want int) {
		w := &wireCounter{}
		cc := countingClient(c, w)
		poll(b, app, cc, page, path, trigger) // connect and warm up
		w.read.Store(0)
		status := 0
		b.ReportAllocs()
		for b.Loop() {
			resp, _ := poll(b, app, cc, page, path, trigger)
			if status = resp.StatusCode; status != want && want != 0 {
				b.Fatalf("GET %s: status %d, want %d", path, resp.StatusCode, want)
			}
		}
		wire := float64(w.read.Load()) / float64(b.N)
		b.ReportMetric(wire, "wire-B/op")
		b.Logf("GET %s: status %d, %.0f bytes on the wire", path, status, wire)
	}
	b.Run("healthz", func(b *testing.B) { run(b, "/", "/healthz", "", http.StatusOK) })
	b.Run("card-unchanged", func(b *testing.B) {
		_, body := app.Get(b, c, job, false)
		path, id := pollerOf(b, body, "#job-"+processingJob)
		run(b, job, path, id, 0)
	})
	b.Run("list50-unchanged", func(b *testing.B) {
		_, body := app.Get(b, c, list, false)
		path, id := pollerOf(b, body, "#job-list")
		run(b, list, path, id, 0)
	})
}
