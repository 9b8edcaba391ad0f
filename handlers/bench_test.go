package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

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
