package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/respond/bulkjobs/store"
)

func init() {
	register(
		test{"ListAudit", testListAudit},
		test{"AddAuditDefaults", testAddAuditDefaults},
		test{"AuditTextFromOutside", testAuditTextFromOutside},
	)
}

func testListAudit(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	ctx := context.Background()
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const job = "5b2c7f1e-3d4a-4b6c-8e9f-0a1b2c3d4e5f"
	// Events are added out of time order; two share a timestamp.
	in := []store.AuditEvent{
		{At: base.Add(2 * time.Minute), UserID: 1, UserEmail: "a@example.com", Action: store.ActionJobCancel,
			AccountID: AccountA, JobID: job, Reason: "wrong search", Outcome: "ok", RemoteAddr: "192.0.2.1"},
		{At: base, UserID: 1, UserEmail: "a@example.com", Action: store.ActionLogin, Outcome: "ok"},
		{At: base.Add(time.Minute), UserID: 2, UserEmail: "b@example.com", Action: store.ActionCredentialAdd, AccountID: AccountB},
		{At: base.Add(3 * time.Minute), UserEmail: "who@example.com", Action: store.ActionLoginFailed, Outcome: "denied"},
		{At: base.Add(3 * time.Minute), UserID: 2, UserEmail: "b@example.com", Action: store.ActionJobCancel,
			AccountID: AccountB, JobID: job, Outcome: "error", Detail: "upstream 403"},
	}
	for _, e := range in {
		if err := s.AddAudit(ctx, e); err != nil {
			t.Fatalf("AddAudit(%s) error = %v", e.Action, err)
		}
	}
	// want turns indexes of in into the expected events, with their IDs.
	want := func(idx ...int) []store.AuditEvent {
		out := make([]store.AuditEvent, len(idx))
		for i, j := range idx {
			out[i] = in[j]
			out[i].ID = int64(j + 1)
		}
		return out
	}
	tests := []struct {
		name   string
		filter store.AuditFilter
		want   []store.AuditEvent
	}{
		{name: "all, newest first, ties by id", filter: store.AuditFilter{}, want: want(4, 3, 0, 2, 1)},
		{name: "by user", filter: store.AuditFilter{UserID: 1}, want: want(0, 1)},
		{name: "by action", filter: store.AuditFilter{Action: store.ActionJobCancel}, want: want(4, 0)},
		{name: "by account", filter: store.AuditFilter{AccountID: AccountB}, want: want(4, 2)},
		{name: "by job and user", filter: store.AuditFilter{JobID: job, UserID: 2}, want: want(4)},
		{name: "since inclusive", filter: store.AuditFilter{Since: base.Add(2 * time.Minute)}, want: want(4, 3, 0)},
		{name: "until exclusive", filter: store.AuditFilter{Until: base.Add(2 * time.Minute)}, want: want(2, 1)},
		{name: "range in another zone", filter: store.AuditFilter{
			Since: base.Add(time.Minute).In(time.FixedZone("x", -5*3600)), Until: base.Add(3 * time.Minute)}, want: want(0, 2)},
		{name: "limit", filter: store.AuditFilter{Limit: 2}, want: want(4, 3)},
		{name: "limit and offset", filter: store.AuditFilter{Limit: 2, Offset: 2}, want: want(0, 2)},
		{name: "offset past the end", filter: store.AuditFilter{Offset: 10}, want: nil},
		{name: "no match", filter: store.AuditFilter{Action: "nothing"}, want: nil},
		{name: "job not UTF-8", filter: store.AuditFilter{JobID: "\xff" + job[1:]}, want: nil},
		{name: "account with NUL", filter: store.AuditFilter{AccountID: AccountB + "\x00"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListAudit(ctx, tt.filter)
			if err != nil {
				t.Fatalf("ListAudit() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ListAudit(%+v) mismatch (-want +got):\n%s", tt.filter, diff)
			}
		})
	}
	e, err := s.AuditEvent(ctx, 3)
	if err != nil || e.Action != store.ActionCredentialAdd || e.At.Location() != time.UTC {
		t.Errorf("AuditEvent(3) = %+v, %v, want the credential_add event in UTC", e, err)
	}
	if _, err := s.AuditEvent(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AuditEvent(999) error = %v, want ErrNotFound", err)
	}
}

func testAddAuditDefaults(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	long := strings.Repeat("é", 5000)
	if err := s.AddAudit(ctx, store.AuditEvent{Action: store.ActionLogout, Detail: long}); err != nil {
		t.Fatalf("AddAudit() error = %v", err)
	}
	got, err := s.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListAudit() = %d events, %v, want 1, nil", len(got), err)
	}
	if at := got[0].At; at.Before(before) || at.After(time.Now()) || at.Location() != time.UTC {
		t.Errorf("At = %v, want now in UTC", at)
	}
	if d := got[0].Detail; len(d) > 2000 || !strings.HasPrefix(long, d) || !strings.HasSuffix(d, "é") {
		t.Errorf("Detail length = %d, want cut to at most 2000 bytes on a character boundary", len(d))
	}
	if err := s.AddAudit(ctx, store.AuditEvent{Action: " "}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("AddAudit(no action) error = %v, want ErrInvalid", err)
	}
}

// testAuditTextFromOutside stores text that PostgreSQL cannot keep as is
// (a NUL, bytes that are not UTF-8), as a hostile upstream's error message
// or a typed reason could carry: the event is kept on every backend, the
// damaged bytes marked with U+FFFD, the rest intact.
func testAuditTextFromOutside(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := store.AuditEvent{At: at, Action: store.ActionJobCancel, AccountID: AccountA, JobID: "job\x00",
		Reason: "caf\xe9 stop", Outcome: "error", Detail: "upstream said \x00\xff\xfe done", RemoteAddr: "192.0.2.1"}
	if err := s.AddAudit(ctx, e); err != nil {
		t.Fatalf("AddAudit() error = %v", err)
	}
	got, err := s.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListAudit() = %+v, %v, want one event", got, err)
	}
	want := e
	want.ID, want.JobID, want.Reason, want.Detail = got[0].ID, "job\uFFFD", "caf\uFFFD stop", "upstream said \uFFFD\uFFFD done"
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("stored event mismatch (-want +got):\n%s", diff)
	}
	// The cancel path takes the same text.
	pending, err := s.BeginCancel(ctx, store.AuditEvent{At: at, AccountID: AccountB, JobID: "j\xff", Reason: "\x00"}, time.Minute)
	if err != nil {
		t.Fatalf("BeginCancel() error = %v", err)
	}
	if err := s.FinishCancel(ctx, pending.ID, "ok", "read back \xff"); err != nil {
		t.Fatalf("FinishCancel() error = %v", err)
	}
	done, err := s.AuditEvent(ctx, pending.ID)
	if err != nil || done.JobID != "j\uFFFD" || done.Reason != "\uFFFD" || done.Detail != "read back \uFFFD" {
		t.Errorf("finished cancel = %+v, %v, want the damaged bytes marked", done, err)
	}
}
