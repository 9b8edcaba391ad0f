package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/store"
)

const claimJob = "5b2c7f1e-3d4a-4b6c-8e9f-0a1b2c3d4e5f"

func cancelEvent(at time.Time, user int64) store.AuditEvent {
	return store.AuditEvent{At: at, UserID: user, UserEmail: "r@example.com", AccountID: accountA, JobID: claimJob, Reason: "wrong search"}
}

func TestBeginCancelClaimsTheJob(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	first, err := s.BeginCancel(ctx, cancelEvent(at, 1), time.Minute)
	if err != nil || first.ID == 0 || first.Outcome != store.CancelPending {
		t.Fatalf("BeginCancel = %+v, %v; want a pending row with an ID", first, err)
	}
	// A second responder while the first is pending: refused, and handed the row.
	other, err := s.BeginCancel(ctx, cancelEvent(at.Add(time.Second), 2), time.Minute)
	if !errors.Is(err, store.ErrCancelInFlight) || other.ID != first.ID || other.UserID != 1 {
		t.Fatalf("second BeginCancel = %+v, %v; want the first row and ErrCancelInFlight", other, err)
	}
	// Another job of the same account is not blocked.
	e := cancelEvent(at, 2)
	e.JobID = "6b2c7f1e-3d4a-4b6c-8e9f-0a1b2c3d4e5f"
	if _, err := s.BeginCancel(ctx, e, time.Minute); err != nil {
		t.Fatalf("other job: %v", err)
	}
	if err := s.FinishCancel(ctx, first.ID, "ok", "read back as cancelled"); err != nil {
		t.Fatal(err)
	}
	got, err := s.AuditEvent(ctx, first.ID)
	if err != nil || got.Outcome != "ok" || got.Detail != "read back as cancelled" {
		t.Fatalf("finished row = %+v, %v", got, err)
	}
	// Finished: the job can be claimed again.
	if _, err := s.BeginCancel(ctx, cancelEvent(at.Add(2*time.Second), 2), time.Minute); err != nil {
		t.Fatalf("claim after finish: %v", err)
	}
	if err := s.FinishCancel(ctx, 999999, "ok", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FinishCancel(missing) = %v, want ErrNotFound", err)
	}
	if err := s.FinishCancel(ctx, first.ID, store.CancelPending, ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("FinishCancel(pending) = %v, want ErrInvalid", err)
	}
}

func TestBeginCancelTakesOverAnAbandonedClaim(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	dead, err := s.BeginCancel(ctx, cancelEvent(at, 1), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingCancels(ctx, at.Add(time.Minute), 10)
	if err != nil || len(pending) != 1 || pending[0].ID != dead.ID {
		t.Fatalf("PendingCancels = %+v, %v", pending, err)
	}
	if !pending[0].PendingTooLong(at.Add(time.Minute), time.Minute) || pending[0].PendingTooLong(at.Add(59*time.Second), time.Minute) {
		t.Error("PendingTooLong does not follow the lease")
	}
	// The process that wrote it died; a minute later another responder cancels.
	next, err := s.BeginCancel(ctx, cancelEvent(at.Add(time.Minute), 2), time.Minute)
	if err != nil {
		t.Fatalf("claim after the lease: %v", err)
	}
	old, _ := s.AuditEvent(ctx, dead.ID)
	if old.Outcome != store.CancelUnknown || old.Detail == "" {
		t.Fatalf("abandoned row = %+v, want outcome unknown with a detail", old)
	}
	if pending, _ := s.PendingCancels(ctx, at, 10); len(pending) != 0 {
		t.Errorf("the abandoned row is still pending: %+v", pending)
	}
	// The late answer of the dead attempt still lands on its own row.
	if err := s.FinishCancel(ctx, dead.ID, "ok", "late"); err != nil {
		t.Fatal(err)
	}
	if cur, _ := s.AuditEvent(ctx, next.ID); cur.Outcome != store.CancelPending {
		t.Errorf("the live claim changed: %+v", cur)
	}
}

func TestBeginCancelConcurrent(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var (
		wg          sync.WaitGroup
		mu          sync.Mutex
		won, joined int
	)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.BeginCancel(context.Background(), cancelEvent(at, int64(i+1)), time.Minute)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, store.ErrCancelInFlight):
				joined++
			default:
				t.Errorf("BeginCancel: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || joined != 9 {
		t.Fatalf("won %d, joined %d; want exactly one claim", won, joined)
	}
}
