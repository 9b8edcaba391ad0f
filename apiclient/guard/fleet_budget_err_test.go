package guard_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
)

func TestBudgetUnavailableSurvivesTheSnapshotEncoding(t *testing.T) {
	mem, _ := guard.NewMemoryBudget(100, 10, 5*time.Minute)
	b := &flakyBudget{MemoryBudget: mem}
	s := newStack(t, guard.Options{Budget: b})
	b.down.Store(true)
	_, err := s.client.GetJob(context.Background(), simA, acct, job)
	if !errors.Is(err, guard.ErrBudgetUnavailable) {
		t.Fatalf("precondition: %v", err)
	}
	out, rerr := guard.RoundTrip(&guard.Snapshot{Err: err, Jobs: map[string]guard.Entry{}})
	if rerr != nil {
		t.Fatal(rerr)
	}
	t.Logf("leader: %q\nfollower: %q", apiclient.Explain(err), apiclient.Explain(out.Err))
	if !errors.Is(out.Err, guard.ErrBudgetUnavailable) {
		t.Errorf("on a follower ErrBudgetUnavailable is lost: %v", out.Err)
	}
}
