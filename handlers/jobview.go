package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/views"
)

// Job URLs carry the Cloudflare account ID, so a pasted link opens the same job
// for every colleague. They are built from validated IDs only.
func jobsURL(accountID string) string        { return "/accounts/" + accountID + "/jobs" }
func jobURL(accountID, jobID string) string  { return jobsURL(accountID) + "/" + jobID }
func cardURL(accountID, jobID string) string { return jobURL(accountID, jobID) + "/card" }
func dialogURL(accountID, jobID string) string {
	return jobURL(accountID, jobID) + "/cancel-dialog"
}

// cardOptions are what a card needs besides the job.
type cardOptions struct {
	canCancel bool // the user's role may cancel
	selfPoll  bool // the card polls itself (job page)
	confirm   bool // with the cancel confirmation's text (the dialog, the no-JS panel)
	csrf      string
	now       time.Time
}

// jobCard maps a job to its card's view model.
func jobCard(accountID string, j *apiclient.Job, o cardOptions) views.JobCard {
	c := views.JobCard{
		ID:          j.ID,
		ShortID:     j.ID[:8],
		AccountID:   accountID,
		URL:         jobURL(accountID, j.ID),
		CardURL:     cardURL(accountID, j.ID),
		CancelURL:   jobURL(accountID, j.ID) + "/cancel",
		ConfirmURL:  jobURL(accountID, j.ID) + "?confirm=cancel",
		DialogURL:   dialogURL(accountID, j.ID),
		SelfPoll:    o.selfPoll,
		Status:      string(j.Status),
		StatusLabel: statusLabel(j.Status),
		StatusClass: statusClass(j.Status),
		Live:        !j.Status.Terminal(),
		ActionType:  string(j.ActionType),
		Destination: destinationLabel(j.ActionParams.Destination),
		Comment:     j.Comment,
		StatusMsg:   j.StatusMessage,
		Total:       formatCount(j.TotalMessagesDiscovered),
		Pending:     formatCount(j.MessagesPending),
		Successful:  formatCount(j.MessagesSuccessful),
		Failed:      formatCount(j.MessagesFailed),
		Created:     displayTime(&j.CreatedAt, o.now),
		Started:     displayTime(j.StartedAt, o.now),
		Completed:   displayTime(j.CompletedAt, o.now),
		CanCancel:   o.canCancel && j.Status.Cancellable(),
		CSRFToken:   maskCSRF(o.csrf), // see csrfmask.go
	}
	if j.MessagesSkipped != nil {
		c.Skipped = formatCount(*j.MessagesSkipped)
	}
	if j.MessagesCancelled != nil {
		c.Cancelled = formatCount(*j.MessagesCancelled)
	}
	switch j.ActionType {
	case apiclient.ActionMove:
		c.Action = "MOVE → " + c.Destination
	case apiclient.ActionRelease:
		c.Action = "RELEASE from quarantine"
	default:
		c.Action = string(j.ActionType)
	}
	// Progress counts messages acted on or skipped; cancelled ones were not
	// processed, so a cancelled job's bar stops where the work stopped.
	done := j.MessagesSuccessful + j.MessagesFailed
	if j.MessagesSkipped != nil {
		done += *j.MessagesSkipped
	}
	if j.TotalMessagesDiscovered > 0 {
		c.ProgressPct = int(min(100, max(0, done*100/j.TotalMessagesDiscovered)))
		c.ProgressLabel = fmt.Sprintf("%s of %s done (%d%%)", formatCount(done), formatCount(j.TotalMessagesDiscovered), c.ProgressPct)
		if j.MessagesCancelled != nil && *j.MessagesCancelled > 0 {
			c.ProgressLabel += fmt.Sprintf("; %s cancelled", formatCount(*j.MessagesCancelled))
		}
	} else if j.Status == apiclient.StatusPending || j.Status == apiclient.StatusDiscovering {
		c.ProgressLabel = "Searching for matching messages…"
	} else {
		c.ProgressLabel = "No messages"
	}
	if o.confirm {
		c.Confirm = cancelConfirm(j, c)
	}
	return c
}

// cancelConfirm states what a cancel will and will not undo, from the latest
// counters.
func cancelConfirm(j *apiclient.Job, c views.JobCard) views.CancelConfirm {
	verb, doneVerb := "released from quarantine", "released"
	if j.ActionType == apiclient.ActionMove {
		verb = "moved to " + c.Destination
		doneVerb = "moved"
	}
	title := fmt.Sprintf("Cancel %s job %s?", j.ActionType, c.ShortID)
	if j.Comment != "" {
		title = fmt.Sprintf("Cancel %s job %s (“%s”)?", j.ActionType, c.ShortID, truncate(j.Comment, 80))
	}
	var consequence string
	switch j.Status {
	case apiclient.StatusPending:
		consequence = "The search has not started: no messages will be " + verb + "."
	case apiclient.StatusDiscovering:
		consequence = fmt.Sprintf("The search stops now: the %s pending messages found so far, and any not yet found, will not be %s.",
			formatCount(j.MessagesPending), verb)
	default:
		consequence = fmt.Sprintf("%s pending %s will not be %s.", formatCount(j.MessagesPending), nounMessages(j.MessagesPending), verb)
	}
	kept := fmt.Sprintf("%s already %s stay %s. Cancelling cannot be undone and the job cannot be resumed.",
		formatCount(j.MessagesSuccessful), doneVerb, doneVerb)
	return views.CancelConfirm{Title: title, Consequence: consequence, Kept: kept}
}

// nounMessages is "message" or "messages".
func nounMessages(n int64) string {
	if n == 1 {
		return "message"
	}
	return "messages"
}

// truncate shortens s to n runes with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}
