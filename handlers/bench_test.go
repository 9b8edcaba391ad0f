package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

// BenchmarkJobListPage50 serves the full job list page of 50 jobs: session,
// store lookup of the credential, one upstream list call to the simulator over
// loopback HTTP, mapping and rendering.
func BenchmarkJobListPage50(b *testing.B) {
	app := webtest.New(b, webtest.Options{RateLimit: -1}) // more requests than Cloudflare allows in 5 minutes
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
	c := app.Login(b, webtest.Responder)
	path := "/accounts/" + webtest.Account + "/jobs?per_page=50"
	b.ReportAllocs()
	for b.Loop() {
		app.Clock.Advance(5 * time.Second) // past the refresh interval and the guard's cache: every page asks Cloudflare
		resp, body := app.Get(b, c, path, false)
		if resp.StatusCode != http.StatusOK || len(body) < 10000 {
			b.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
		}
	}
}

// BenchmarkCard compares the card fragment a live card polls (session, store,
// one upstream GET, render) with the bare apiclient GetJob it wraps.
func BenchmarkCard(b *testing.B) {
	app := webtest.New(b, webtest.Options{RateLimit: -1})
	cred := apiclient.Credential{APIToken: cfsim.DemoReadToken}
	b.Run("dashboard", func(b *testing.B) {
		c := app.Login(b, webtest.Viewer)
		path := jobsPath("/" + processingJob + "/card")
		b.ReportAllocs()
		for b.Loop() {
			app.Clock.Advance(5 * time.Second) // past the refresh interval and the guard's cache: every poll asks Cloudflare
			if resp, _ := app.Get(b, c, path, true); resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.Run("apiclient", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := app.Client.GetJob(context.Background(), cred, webtest.Account, processingJob); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCancel compares the cancel round trip (CSRF, role, credential,
// one upstream POST, audit write, render) with the bare apiclient CancelJob.
// Each iteration cancels a fresh PENDING job; adding it is not timed.
func BenchmarkCancel(b *testing.B) {
	app := webtest.New(b, webtest.Options{RateLimit: -1})
	cred := apiclient.Credential{APIToken: cfsim.DemoWriteToken}
	n := 0
	freshJob := func(b *testing.B) string {
		b.StopTimer()
		defer b.StartTimer()
		n++
		id := fmt.Sprintf("00000000-0000-4000-9000-%012d", n)
		if err := app.Sim.AddJob(webtest.Account, cfsim.SeedJob{ID: id, Account: webtest.Account, Action: "RELEASE", Status: "PENDING"}); err != nil {
			b.Fatal(err)
		}
		return id
	}
	b.Run("dashboard", func(b *testing.B) {
		c := app.Login(b, webtest.Responder)
		token := app.CSRF(b, c)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id := freshJob(b)
			resp, _ := app.HTMXPostToken(b, c, token, jobPath(id), cancelPath(id), url.Values{})
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.Run("apiclient", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id := freshJob(b)
			if _, err := app.Client.CancelJob(context.Background(), cred, webtest.Account, id); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHotPath measures what every poll pays before any upstream work:
// the session cookie and the user and credential lookups. It serves, in one
// run and through the same stack (loopback HTTP, every middleware), /healthz
// (no session); a route that does only the session, the user and the
// credential of the account ("session-lookups", a test route with the
// middlewares of every signed-in page); the account page; and a card poll
// answered from the guard's cache, as htmx sends it. Each reports its cost as
// a multiple of the /healthz run just before it (x-healthz).
func BenchmarkHotPath(b *testing.B) {
	app := webtest.New(b, webtest.Options{RateLimit: -1})
	h := app.Handler
	app.Echo.GET("/bench/session-lookups", func(c echo.Context) error {
		if err := h.CredentialFor(c, webtest.Account); err != nil {
			return err
		}
		return c.String(http.StatusOK, "ok\n")
	}, h.LoadSession, h.RequireUser, h.RequireCSRF(http.NewCrossOriginProtection()))
	c := app.Login(b, webtest.Viewer)
	card := jobsPath("/" + processingJob + "/card")
	get := func(b *testing.B, path string, poll bool) {
		req, _ := http.NewRequest(http.MethodGet, app.URL+path, nil)
		if poll {
			req.Header.Set("HX-Request", "true")
			req.Header.Set("HX-Trigger", "job-"+processingJob)
			req.Header.Set("HX-Current-URL", app.URL+jobPath(processingJob))
		}
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: status %d", path, resp.StatusCode)
		}
	}
	get(b, card, true) // fills the guard's cache; the clock stands still from here on
	var healthz float64
	run := func(name, path string, poll bool) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				get(b, path, poll)
			}
			perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if name == "healthz" {
				healthz = perOp
			} else if healthz > 0 {
				b.ReportMetric(perOp/healthz, "x-healthz")
			}
		})
	}
	for _, r := range []struct {
		name, path string
		poll       bool
	}{{"session-lookups", "/bench/session-lookups", false}, {"account-page", "/account", false}, {"card-cached", card, true}} {
		run("healthz", "/healthz", false)
		run(r.name, r.path, r.poll)
	}
}
