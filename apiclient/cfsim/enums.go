package cfsim

import (
	"slices"
	"strings"
)

// Job and message statuses (contract section 4). Jobs and message rows share
// the same seven values.
const (
	StatusPending     = "PENDING"
	StatusDiscovering = "DISCOVERING"
	StatusProcessing  = "PROCESSING"
	StatusCompleted   = "COMPLETED"
	StatusFailed      = "FAILED"
	StatusCancelled   = "CANCELLED"
	StatusSkipped     = "SKIPPED"
)

// Action types (contract section 4).
const (
	ActionMove    = "MOVE"
	ActionRelease = "RELEASE"
)

// Statuses lists every job and message status in lifecycle order.
var Statuses = []string{
	StatusPending, StatusDiscovering, StatusProcessing,
	StatusCompleted, StatusFailed, StatusCancelled, StatusSkipped,
}

var (
	actions      = []string{ActionMove, ActionRelease}
	destinations = []string{
		"Inbox", "JunkEmail", "DeletedItems",
		"RecoverableItemsDeletions", "RecoverableItemsPurges",
	}
	dispositions = []string{
		"MALICIOUS", "MALICIOUS-BEC", "SUSPICIOUS", "SPOOF", "SPAM",
		"BULK", "ENCRYPTED", "EXTERNAL", "UNKNOWN", "NONE",
	}
	deliveryStatuses = []string{
		"delivered", "moved", "quarantined", "rejected", "deferred", "bounced", "queued",
	}
	messageActions = []string{"PREVIEW", "QUARANTINE_RELEASED", "MOVED"}
)

// isTerminal reports whether a job in status st can no longer change
// (contract section 5: the delete rule names the terminal states).
func isTerminal(st string) bool {
	switch st {
	case StatusCompleted, StatusFailed, StatusCancelled, StatusSkipped:
		return true
	}
	return false
}

// oneOf reports whether v is one of the allowed values (case-sensitive: the
// contract spells every enum exactly).
func oneOf(v string, allowed []string) bool {
	return slices.Contains(allowed, v)
}

// enumList renders allowed values for an error message.
func enumList(allowed []string) string {
	return strings.Join(allowed, ", ")
}
