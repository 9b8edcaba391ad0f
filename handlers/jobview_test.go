package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

func ptr64(n int64) *int64 { return &n }

func TestJobCardProgressAndConsequence(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	base := apiclient.Job{
		ID: "52fb7adc-02ed-4225-a484-c02787b1eed3", ActionType: apiclient.ActionMove,
		ActionParams: apiclient.ActionParams{Type: apiclient.ActionMove, Destination: apiclient.DestinationDeletedItems},
		CreatedAt:    now.Add(-time.Hour), TotalMessagesDiscovered: 4514,
	}
	tests := []struct {
		name      string
		edit      func(j *apiclient.Job)
		wantPct   int
		wantLabel string
		wantText  string // in the cancel consequence
		cancel    bool
	}{
		{"processing", func(j *apiclient.Job) {
			j.Status, j.MessagesPending, j.MessagesSuccessful = apiclient.StatusProcessing, 1204, 3310
			j.MessagesSkipped, j.MessagesCancelled = ptr64(0), ptr64(0)
		}, 73, "3,310 of 4,514 done (73%)", "1,204 pending messages will not be moved to Deleted Items.", true},
		{"cancelled, newer shape", func(j *apiclient.Job) {
			j.Status, j.MessagesSuccessful, j.MessagesCancelled, j.MessagesSkipped = apiclient.StatusCancelled, 3310, ptr64(1204), ptr64(0)
		}, 73, "3,310 of 4,514 done (73%); 1,204 cancelled", "", false},
		{"cancelled, older shape", func(j *apiclient.Job) {
			j.Status, j.MessagesSuccessful = apiclient.StatusCancelled, 3310
		}, 73, "3,310 of 4,514 done (73%)", "", false},
		{"release pending", func(j *apiclient.Job) {
			j.ActionType, j.ActionParams = apiclient.ActionRelease, apiclient.ActionParams{Type: apiclient.ActionRelease}
			j.Status, j.TotalMessagesDiscovered = apiclient.StatusPending, 0
		}, 0, "Searching for matching messages…", "no messages will be released from quarantine", true},
	}
	for _, tt := range tests {
		j := base
		tt.edit(&j)
		c := jobCard("023e105f4ecef8ad9ca31a8372d0c353", &j, cardOptions{canCancel: true, confirm: true, now: now})
		if c.ProgressPct != tt.wantPct || c.ProgressLabel != tt.wantLabel {
			t.Errorf("%s: progress %d%% %q, want %d%% %q", tt.name, c.ProgressPct, c.ProgressLabel, tt.wantPct, tt.wantLabel)
		}
		if c.CanCancel != tt.cancel {
			t.Errorf("%s: CanCancel = %v", tt.name, c.CanCancel)
		}
		if tt.wantText != "" && !strings.Contains(c.Confirm.Consequence, tt.wantText) {
			t.Errorf("%s: consequence %q lacks %q", tt.name, c.Confirm.Consequence, tt.wantText)
		}
	}
}
