package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/store"
)

func init() {
	register(
		test{"BeginCancelClaimsTheJob", testBeginCancelClaimsTheJob},
		test{"BeginCancelTakesOverAnAbandonedClaim", testBeginCancelTakesOverAnAbandonedClaim},
		test{"BeginCancelConcurrentReplicas", testBeginCancelConcurrentReplicas},
		test{"DeleteCredentialConcurrentReplicas", testDeleteCredentialConcurrentReplicas},
	)
}

const claimJob = "5b2c7f1e-3d4a-4b6c-8e9f-0a1b2c3d4e5f"

func cancelEvent(at time.Time, user int64) store.AuditEvent {
	return store.AuditEvent{At: at, UserID: user, UserEmail: "r@example.com", AccountID: AccountA, JobID: claimJob, Reason: "wrong search"}
}

func testBeginCancelClaimsTheJob(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	first, err := s.BeginCancel(ctx, cancelEvent(at, 1), time.Minute)
	if err != nil || first.ID == 0 || first.Outcome != store.CancelPending {
		t.Fatalf("BeginCancel = %+v, %v; want a pending row with an ID", first, err)
	}
	// A second responder while the first is pending: refused, and handed the row.
	other, err := s.BeginCancel(ctx, cancelEvent(at.Add(time.Second), 2), time.Minute)
	if !errors.Is(err, store.ErrCancelInFlight) || other.ID != first.ID || other.UserID != 1 || !other.At.Equal(at) {
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
	// Only cancel rows are finished this way.
	if err := s.AddAudit(ctx, store.AuditEvent{Action: store.ActionLogin, Outcome: "ok"}); err != nil {
		t.Fatal(err)
	}
	login, err := s.ListAudit(ctx, store.AuditFilter{Action: store.ActionLogin})
	if err != nil || len(login) != 1 {
		t.Fatalf("ListAudit(login) = %+v, %v", login, err)
	}
	if err := s.FinishCancel(ctx, login[0].ID, "ok", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FinishCancel(a login row) = %v, want ErrNotFound", err)
	}
}

func testBeginCancelTakesOverAnAbandonedClaim(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	dead, err := s.BeginCancel(ctx, cancelEvent(at, 1), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if pending, err := s.PendingCancels(ctx, at.Add(-time.Second), 10); err != nil || len(pending) != 0 {
		t.Fatalf("PendingCancels(before the row) = %+v, %v, want none", pending, err)
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

// testBeginCancelConcurrentReplicas claims one job from ten goroutines
// spread over three stores on one database, as three replicas would:
// exactly one claim, every other call handed that claim's row.
func testBeginCancelConcurrentReplicas(t *testing.T, fresh func(*testing.T) Opener) {
	open := fresh(t)
	keys := Keyring(t, NewKey(t))
	replicas := []store.Store{mustOpen(t, open, keys), mustOpen(t, open, keys), mustOpen(t, open, keys)}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	// An abandoned claim every replica races to take over.
	dead, err := replicas[0].BeginCancel(context.Background(), cancelEvent(at.Add(-time.Hour), 99), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg          sync.WaitGroup
		mu          sync.Mutex
		won, joined int
		ids         = map[int64]bool{}
	)
	start := make(chan struct{})
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			e, err := replicas[i%len(replicas)].BeginCancel(context.Background(), cancelEvent(at, int64(i+1)), time.Minute)
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
			ids[e.ID] = true
		}()
	}
	close(start)
	wg.Wait()
	if won != 1 || joined != 9 || len(ids) != 1 {
		t.Fatalf("won %d, joined %d, rows seen %v; want exactly one claim that everyone sees", won, joined, ids)
	}
	if old, err := replicas[1].AuditEvent(context.Background(), dead.ID); err != nil || old.Outcome != store.CancelUnknown {
		t.Errorf("abandoned claim = %+v, %v, want closed as unknown", old, err)
	}
	pending, err := replicas[2].PendingCancels(context.Background(), at, 10)
	if err != nil || len(pending) != 1 {
		t.Errorf("PendingCancels = %+v, %v, want the one claim", pending, err)
	}
}

// testDeleteCredentialConcurrentReplicas deletes one credential from ten
// goroutines over two stores on one database: exactly one deletes it, the
// others get ErrAlreadyDeleted, and no call fails otherwise.
func testDeleteCredentialConcurrentReplicas(t *testing.T, fresh func(*testing.T) Opener) {
	open := fresh(t)
	keys := Keyring(t, NewKey(t))
	replicas := []store.Store{mustOpen(t, open, keys), mustOpen(t, open, keys)}
	ctx := context.Background()
	u := CreateUser(t, replicas[0], "ana@example.com", store.RoleResponder)
	c := AddToken(t, replicas[0], u.ID, "prod", AccountA, TokenA)
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = replicas[i%len(replicas)].DeleteCredential(ctx, u.ID, c.ID)
		}()
	}
	close(start)
	wg.Wait()
	deleted := 0
	for i, err := range errs {
		switch {
		case err == nil:
			deleted++
		case !errors.Is(err, store.ErrAlreadyDeleted):
			t.Errorf("delete %d: error = %v, want nil or ErrAlreadyDeleted", i, err)
		}
	}
	if deleted != 1 {
		t.Errorf("%d deletes succeeded, want exactly 1", deleted)
	}
}
