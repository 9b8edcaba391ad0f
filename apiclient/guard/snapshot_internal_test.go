package guard

import (
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// A snapshot keeps its own copy of a job from a list read, never a pointer
// into the slice the page was decoded into: that pointer would keep the
// whole page alive for as long as the snapshot holds the one job.
func TestSnapshotDoesNotPinTheDecodedPage(t *testing.T) {
	page := []apiclient.Job{{ID: "a", Status: apiclient.StatusProcessing}, {ID: "b"}}
	b := newBuilder(nil, 1)
	now := time.Now()
	b.put(&page[0], now, now, nil)
	s := b.done()
	e, ok := s.Entry("a")
	if !ok {
		t.Fatal("job a missing")
	}
	if e.Job == &page[0] {
		t.Fatal("the snapshot points into the decoded page")
	}
	if e.Job.Status != apiclient.StatusProcessing {
		t.Fatalf("status %s", e.Job.Status)
	}
}
