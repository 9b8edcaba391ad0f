package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/guard"
)

// A follower's snapshot whose leader stopped publishing is older data,
// marked with why, not an error: the pages show it as they show an outage.
func TestNoFreshSnapshotIsOlderDataNotAnError(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	h := &Handler{Now: func() time.Time { return at.Add(15 * time.Second) }}
	if !unreadable(guard.ErrNoFreshSnapshot) {
		t.Fatal("a snapshot the leader stopped renewing is answered as an error")
	}
	s := h.staleAt(at, at, guard.ErrNoFreshSnapshot)
	if s == nil || !strings.Contains(s.Reason, "another takes over") || s.Clock != "09:00:00 UTC" {
		t.Errorf("stale marker = %+v", s)
	}
}
