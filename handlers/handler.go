// Package handlers holds the dashboard's HTTP handlers, one file per resource,
// plus the session, CSRF and render helpers they share.
package handlers

import (
	"context"
	"log/slog"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/handlers/loginlimit"
	"github.com/respond/bulkjobs/store"
	"golang.org/x/sync/singleflight"
)

// JobsAPI is the part of the Cloudflare client the handlers use;
// *apiclient.Client satisfies it.
type JobsAPI interface {
	ListJobs(ctx context.Context, cred apiclient.Credential, accountID string, opts apiclient.ListJobsOptions) ([]apiclient.Job, apiclient.ResultInfo, error)
	GetJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error)
	CancelJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, error)
	ListJobMessages(ctx context.Context, cred apiclient.Credential, accountID, jobID string, opts apiclient.ListJobMessagesOptions) ([]apiclient.Message, apiclient.ResultInfo, error)
}

// Feeds is the part of guard.Refresher the handlers use: one live snapshot
// per credential and account, read once per interval whatever the tabs.
type Feeds interface {
	Watch(ctx context.Context, cred apiclient.Credential, account string, jobIDs ...string) (*guard.Snapshot, error)
	Put(cred apiclient.Credential, account string, job *apiclient.Job) uint64
	Forget(cred apiclient.Credential)
}

// Handler carries the dependencies of every handler. main builds it
// explicitly; there are no globals.
type Handler struct {
	Store store.Store
	API   JobsAPI
	// Live answers every list poll, card poll and job page from one
	// snapshot per credential and account (a guard.Refresher reading
	// through API). Nil: one with the defaults is made on first use.
	Live      Feeds
	Sessions  *SessionManager
	Logins    loginlimit.Limiter
	Log       *slog.Logger
	PublicURL *url.URL // for absolute share links
	// UpstreamTimeout bounds each page's calls to Cloudflare.
	UpstreamTimeout time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time
	// ReadyWarnings, when set, returns lines /readyz adds to its body
	// without changing its status (web sets it: untrusted forwarding).
	ReadyWarnings func() []string
	// Metrics, when set, is told of credentials used and cancel outcomes.
	Metrics Recorder

	cancels singleflight.Group // one cancel per job at a time in this process, see cancelOnce
	// cancelCalls counts requests that reached cancels (led or joined a
	// flight), so tests can wait for a joiner instead of sleeping.
	cancelCalls atomic.Int64
	// cancelAwaits counts requests that waited for another process's
	// cancel of a job (awaitCancel), for the same reason.
	cancelAwaits atomic.Int64
	draining     atomic.Bool // set by Drain
	slotsOnce    sync.Once
	slots        chan struct{} // password-hashing slots, see hashSlot
	hashWaiters  atomic.Int64  // requests queued for a slot, see hashSlot
	liveOnce     sync.Once
	live         Feeds
}

// feeds returns Live, or the refresher made for a Handler built without one.
func (h *Handler) feeds() Feeds {
	if h.Live != nil {
		return h.Live
	}
	h.liveOnce.Do(func() {
		h.live = guard.NewRefresher(h.API, guard.RefresherOptions{Now: h.Now, Timeout: h.upstreamTimeout()})
	})
	return h.live
}

// hashSlots returns the semaphore of concurrent password checks: one per core.
func (h *Handler) hashSlots() chan struct{} {
	h.slotsOnce.Do(func() { h.slots = make(chan struct{}, runtime.NumCPU()) })
	return h.slots
}

// now returns the handler's current time.
func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// defaultUpstreamTimeout bounds a page's calls when UpstreamTimeout is 0.
const defaultUpstreamTimeout = 15 * time.Second

// upstreamTimeout is the time budget of one page's calls to Cloudflare.
func (h *Handler) upstreamTimeout() time.Duration {
	if h.UpstreamTimeout > 0 {
		return h.UpstreamTimeout
	}
	return defaultUpstreamTimeout
}

// upstreamCtx bounds a page's upstream calls.
func (h *Handler) upstreamCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(guard.WithStaleMarker(ctx), h.upstreamTimeout())
}
