package handlers

import (
	"strings"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// knownJobs is a memory of Cloudflare's answers: the guard's and the live
// snapshots'.
type knownJobs interface {
	Known(cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, time.Time, bool)
}

// known returns Cloudflare's latest answer for the job that the process
// holds, of any age: the newer of the guard's and the snapshot's.
func (h *Handler) known(cred apiclient.Credential, accountID, jobID string) (*apiclient.Job, time.Time, bool) {
	var job *apiclient.Job
	var at time.Time
	for _, src := range []any{h.API, h.feeds()} {
		if k, ok := src.(knownJobs); ok {
			if j, t, ok := k.Known(cred, accountID, jobID); ok && (job == nil || t.After(at)) {
				job, at = j, t
			}
		}
	}
	return job, at, job != nil
}

// knownFinished answers a repeated cancel without calling Cloudflare when
// Cloudflare's last answer for the job, of any age, showed it terminal: a
// terminal state never changes, so that answer is the job's real state.
// Anything else (running, or never read) goes to Cloudflare.
func (h *Handler) knownFinished(cred apiclient.Credential, accountID, jobID string) (cancelResult, bool) {
	job, at, ok := h.known(cred, accountID, jobID)
	if !ok || !job.Status.Terminal() {
		return cancelResult{}, false
	}
	res := judge(job, "Cloudflare showed the job as "+string(job.Status)+" at "+at.UTC().Format(time.RFC3339)+"; nothing was sent")
	if res.outcome == "ok" {
		res.outcome = "already_cancelled"
		res.notice = "Already cancelled: Cloudflare showed this job as Cancelled at " + at.UTC().Format("15:04:05") +
			" UTC, so nothing more was sent. " + strings.TrimPrefix(res.notice, "Cancelled. ")
	}
	return res, true
}
