package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web/webtest"
)

// downBudget is a MemoryBudget that fails, as a budget shared through
// PostgreSQL does while the database does not answer, when down is set.
type downBudget struct {
	*guard.MemoryBudget
	down atomic.Bool
}

func (b *downBudget) Take(ctx context.Context, key string, write bool, now time.Time) (*guard.Hold, error) {
	if b.down.Load() {
		return nil, errors.New("dial tcp 127.0.0.1:5432: connection refused")
	}
	return b.MemoryBudget.Take(ctx, key, write, now)
}

func (b *downBudget) Peek(ctx context.Context, key string, write bool, now time.Time) (*guard.Hold, error) {
	if b.down.Load() {
		return nil, errors.New("dial tcp 127.0.0.1:5432: connection refused")
	}
	return b.MemoryBudget.Peek(ctx, key, write, now)
}

// While the budget cannot count, nothing is sent, and the pages say that
// the dashboard's database is the reason, not Cloudflare: the job page
// offers Cancel with that reason, and a cancel that cannot be counted is
// reported as not sent (never "may or may not be cancelled"), audited,
// with its button kept.
func TestBudgetDownSaysNothingWasSent(t *testing.T) {
	t.Parallel()
	mem, err := guard.NewMemoryBudget(1200, 200, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	b := &downBudget{MemoryBudget: mem}
	app := webtest.New(t, webtest.Options{Budget: b})
	c := app.Login(t, webtest.Responder)
	const why = "the dashboard's database, where the requests of every replica are counted, did not answer"
	b.down.Store(true)
	resp, body := app.Get(t, c, jobsPath("/"+otherRunningJob), false)
	assertCancelOffered(t, app, c, otherRunningJob, resp, body, why)

	// A job read before: shown as of then, with the reason.
	page := jobsPath("/" + processingJob)
	b.down.Store(false)
	app.Clock.Advance(time.Minute)
	app.Get(t, c, page, false)
	b.down.Store(true)
	app.Clock.Advance(time.Minute)
	app.Sim.ResetRequests()
	if _, body := app.Get(t, c, page, false); !strings.Contains(strings.Join(strings.Fields(doc(t, body).Text()), " "), why) {
		t.Errorf("a job page while the budget is down does not say why it is old:\n%s", body)
	}

	resp, body = app.HTMXPost(t, c, page, page+"/cancel", url.Values{})
	text := strings.Join(strings.Fields(doc(t, body).Text()), " ")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(text, "Nothing was sent to Cloudflare: "+why) ||
		strings.Contains(text, "may or may not") {
		t.Errorf("cancel while the budget is down: status %d, %q; want 503 saying nothing was sent", resp.StatusCode, text)
	}
	if card := doc(t, body).Find(`[data-testid="job-card"][data-status="PROCESSING"]`); card.Find(`[data-testid="cancel-button"]`).Length() == 0 {
		t.Errorf("the cancel button is gone; the analyst must be able to try again:\n%s", body)
	}
	if n := len(app.Sim.Requests()); n != 0 {
		t.Errorf("%d requests reached Cloudflare uncounted, want 0", n)
	}
	events, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: store.ActionJobCancel, JobID: processingJob})
	if len(events) != 1 || events[0].Outcome != "error" {
		t.Errorf("audit events = %+v, want one with outcome error", events)
	}
}
