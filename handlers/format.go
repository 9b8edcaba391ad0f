package handlers

import (
	"strconv"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/views"
)

// formatCount renders 1204 as "1,204".
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

// displayTime renders t relative to now with the exact UTC time beside it.
func displayTime(t *time.Time, now time.Time) views.Time {
	if t == nil || t.IsZero() {
		return views.Time{}
	}
	return views.Time{
		Relative: relative(*t, now),
		Exact:    t.UTC().Format("2006-01-02 15:04:05 UTC"),
		ISO:      t.UTC().Format(time.RFC3339),
	}
}

// relative renders "just now", "3 minutes ago", "2 days ago" or "in 5 minutes".
func relative(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < 90*time.Second:
		s = "1 minute"
	case d < time.Hour:
		s = plural(int(d.Round(time.Minute)/time.Minute), "minute")
	case d < 36*time.Hour:
		s = plural(int(d.Round(time.Hour)/time.Hour), "hour")
	default:
		s = plural(int(d.Round(24*time.Hour)/(24*time.Hour)), "day")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// plural renders "1 minute" or "3 minutes".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// destinationLabel names a mailbox folder as analysts know it.
func destinationLabel(d apiclient.Destination) string {
	switch d {
	case apiclient.DestinationInbox:
		return "Inbox"
	case apiclient.DestinationJunkEmail:
		return "Junk Email"
	case apiclient.DestinationDeletedItems:
		return "Deleted Items"
	case apiclient.DestinationRecoverableItemsDeletions:
		return "Recoverable Items: Deletions (soft delete)"
	case apiclient.DestinationRecoverableItemsPurges:
		return "Recoverable Items: Purges (hard delete)"
	case "":
		return ""
	}
	return string(d)
}

// statusLabel is "Processing" for PROCESSING; unknown states show as sent.
func statusLabel(s apiclient.JobStatus) string {
	switch s {
	case apiclient.StatusPending:
		return "Pending"
	case apiclient.StatusDiscovering:
		return "Discovering"
	case apiclient.StatusProcessing:
		return "Processing"
	case apiclient.StatusCompleted:
		return "Completed"
	case apiclient.StatusFailed:
		return "Failed"
	case apiclient.StatusCancelled:
		return "Cancelled"
	case apiclient.StatusSkipped:
		return "Skipped"
	}
	return string(s)
}

// statusClass is the CSS modifier of a status badge.
func statusClass(s apiclient.JobStatus) string {
	switch s {
	case apiclient.StatusPending:
		return "pending"
	case apiclient.StatusDiscovering, apiclient.StatusProcessing:
		return "running"
	case apiclient.StatusCompleted:
		return "ok"
	case apiclient.StatusFailed:
		return "failed"
	case apiclient.StatusCancelled:
		return "cancelled"
	case apiclient.StatusSkipped:
		return "skipped"
	}
	return "unknown"
}
