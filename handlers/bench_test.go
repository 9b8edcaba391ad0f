package handlers_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

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
		resp, body := app.Get(b, c, path, false)
		if resp.StatusCode != http.StatusOK || len(body) < 10000 {
			b.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
		}
	}
}
