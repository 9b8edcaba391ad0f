package fleettest

import (
	"context"
	"fmt"
	"sync"

	"github.com/respond/bulkjobs/apiclient"
)

// ID is the ID of the i-th job of a PagedAPI (0 is the newest).
func ID(i int) string { return fmt.Sprintf("job-%02d", i) }

// PagedAPI is one account's jobs as Cloudflare lists them, newest first,
// per_page at a time, with every call counted: the upstream cost of a
// fleet. It is safe for concurrent use.
type PagedAPI struct {
	mu      sync.Mutex
	jobs    []apiclient.Job
	lists   int
	gets    int
	started chan struct{} // set by Hold: the next list read closes it, then waits for gate
	gate    chan struct{}
}

// NewPagedAPI holds n running jobs.
func NewPagedAPI(n int) *PagedAPI {
	a := &PagedAPI{}
	for i := range n {
		a.jobs = append(a.jobs, apiclient.Job{ID: ID(i), Status: apiclient.StatusProcessing, TotalMessagesDiscovered: 100})
	}
	return a
}

// ListJobs returns the first page; the others are never asked for.
func (a *PagedAPI) ListJobs(ctx context.Context, _ apiclient.Credential, _ string, opts apiclient.ListJobsOptions) ([]apiclient.Job, apiclient.ResultInfo, error) {
	a.mu.Lock()
	a.lists++
	n := min(opts.PerPage, len(a.jobs))
	page := append([]apiclient.Job(nil), a.jobs[:n]...)
	started, gate := a.started, a.gate
	a.started, a.gate = nil, nil
	a.mu.Unlock()
	if started != nil {
		close(started) // the answer is Cloudflare's from before what happens while it waits
		select {
		case <-gate:
		case <-ctx.Done():
		}
	}
	return page, apiclient.ResultInfo{Count: n, PerPage: opts.PerPage}, nil
}

// GetJob returns one job, or Cloudflare's 404.
func (a *PagedAPI) GetJob(_ context.Context, _ apiclient.Credential, _, jobID string) (*apiclient.Job, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gets++
	for _, j := range a.jobs {
		if j.ID == jobID {
			return &j, nil
		}
	}
	return nil, &apiclient.APIError{Method: "GET", Path: "/accounts/acct/email-security/bulk/" + jobID, StatusCode: 404}
}

// CancelJob is not used: the scenarios put the cancel's answer themselves.
func (a *PagedAPI) CancelJob(context.Context, apiclient.Credential, string, string) (*apiclient.Job, error) {
	panic("fleettest: CancelJob is not used")
}

// ListJobMessages is not used.
func (a *PagedAPI) ListJobMessages(context.Context, apiclient.Credential, string, string, apiclient.ListJobMessagesOptions) ([]apiclient.Message, apiclient.ResultInfo, error) {
	panic("fleettest: ListJobMessages is not used")
}

// Calls returns the list reads and the single reads so far.
func (a *PagedAPI) Calls() (lists, gets int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lists, a.gets
}

// Set changes a job's state.
func (a *PagedAPI) Set(id string, status apiclient.JobStatus) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.jobs {
		if a.jobs[i].ID == id {
			a.jobs[i].Status = status
		}
	}
}

// Progress moves every running job on by one message.
func (a *PagedAPI) Progress() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.jobs {
		if !a.jobs[i].Status.Terminal() {
			a.jobs[i].MessagesSuccessful++
		}
	}
}

// Hold makes the next list read take Cloudflare's answer, close started,
// and wait for release before it returns it.
func (a *PagedAPI) Hold() (started <-chan struct{}, release func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.started, a.gate = make(chan struct{}), make(chan struct{})
	gate := a.gate
	return a.started, func() { close(gate) }
}
