package handlers_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/handlers"
	"github.com/respond/bulkjobs/web/webtest"
)

// deadlines records the deadline of each upstream read.
type deadlines struct {
	handlers.JobsAPI
	mu  sync.Mutex
	got map[string]time.Time
}

func (d *deadlines) note(what string, ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dl, _ := ctx.Deadline()
	d.got[what] = dl
}

func (d *deadlines) GetJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error) {
	d.note("job", ctx)
	return d.JobsAPI.GetJob(ctx, cred, accountID, jobID)
}

func (d *deadlines) ListJobMessages(ctx context.Context, cred apiclient.Credential, accountID, jobID string, opts apiclient.ListJobMessagesOptions) ([]apiclient.Message, apiclient.ResultInfo, error) {
	d.note("messages", ctx)
	return d.JobsAPI.ListJobMessages(ctx, cred, accountID, jobID, opts)
}

// The job page has one time budget: the job read and the messages read
// share one deadline (they had one each, so a page could take twice the
// budget).
func TestJobPageHasOneBudget(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	rec := &deadlines{JobsAPI: app.Handler.API, got: map[string]time.Time{}}
	app.Handler.API = rec
	c := app.Login(t, webtest.Viewer)
	if resp, _ := app.Get(t, c, jobsPath("/"+processingJob), false); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	job, msgs := rec.got["job"], rec.got["messages"]
	if job.IsZero() || msgs.IsZero() {
		t.Fatalf("reads without a deadline: job %v, messages %v", job, msgs)
	}
	if !job.Equal(msgs) {
		t.Errorf("the messages read has its own deadline, %s after the job read's", msgs.Sub(job))
	}
}
