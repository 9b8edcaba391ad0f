package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/respond/bulkjobs/store"
)

func init() {
	register(
		test{"CreateUser", testCreateUser},
		test{"CreateUserDuplicate", testCreateUserDuplicate},
		test{"CreateUserInvalid", testCreateUserInvalid},
		test{"UserByEmailAndVerify", testUserByEmailAndVerify},
		test{"SessionVersionBumps", testSessionVersionBumps},
		test{"UserNotFound", testUserNotFound},
		test{"ListUsers", testListUsers},
	)
}

func testCreateUser(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	ctx := context.Background()
	got := CreateUser(t, s, "  Ana.Lyst@Example.COM ", store.RoleResponder)
	want := store.User{ID: got.ID, Email: "ana.lyst@example.com", Role: store.RoleResponder, SessionVersion: 1}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.User{}, "CreatedAt", "UpdatedAt")); diff != "" {
		t.Errorf("CreateUser() mismatch (-want +got):\n%s", diff)
	}
	if got.CreatedAt.IsZero() || !got.CreatedAt.Equal(got.UpdatedAt) {
		t.Errorf("CreateUser() times = %v, %v, want equal and set", got.CreatedAt, got.UpdatedAt)
	}
	byID, err := s.UserByID(ctx, got.ID)
	if err != nil {
		t.Fatalf("UserByID() error = %v", err)
	}
	if diff := cmp.Diff(got, byID); diff != "" {
		t.Errorf("UserByID() mismatch (-want +got):\n%s", diff)
	}
}

func testCreateUserDuplicate(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	CreateUser(t, s, "dup@example.com", store.RoleViewer)
	hash, _ := Hasher(t).Hash("another long password")
	for _, email := range []string{"dup@example.com", "DUP@Example.com", " dup@example.com "} {
		_, err := s.CreateUser(context.Background(), email, store.RoleAdmin, hash)
		if !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("CreateUser(%q) error = %v, want ErrDuplicate", email, err)
		}
	}
}

func testCreateUserInvalid(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	hash, _ := Hasher(t).Hash("a long enough password")
	tests := []struct {
		name  string
		email string
		role  store.Role
		hash  string
	}{
		{name: "empty email", email: "", role: store.RoleViewer, hash: hash},
		{name: "no at sign", email: "ana.example.com", role: store.RoleViewer, hash: hash},
		{name: "display name", email: "Ana <ana@example.com>", role: store.RoleViewer, hash: hash},
		{name: "not UTF-8", email: "an\xffa@example.com", role: store.RoleViewer, hash: hash},
		{name: "NUL", email: "an\x00a@example.com", role: store.RoleViewer, hash: hash},
		{name: "unknown role", email: "ana@example.com", role: "root", hash: hash},
		{name: "empty hash", email: "ana@example.com", role: store.RoleViewer, hash: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateUser(context.Background(), tt.email, tt.role, tt.hash)
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("CreateUser() error = %v, want ErrInvalid", err)
			}
		})
	}
}

func testUserByEmailAndVerify(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	want := CreateUser(t, s, "ana@example.com", store.RoleViewer)
	h := Hasher(t)
	tests := []struct {
		name   string
		email  string
		pw     string
		wantOK bool
	}{
		{name: "right password", email: "ana@example.com", pw: Password, wantOK: true},
		{name: "other case email", email: "ANA@example.com", pw: Password, wantOK: true},
		{name: "wrong password", email: "ana@example.com", pw: Password + "!", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, hash, err := s.UserByEmail(context.Background(), tt.email)
			if err != nil {
				t.Fatalf("UserByEmail(%q) error = %v", tt.email, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("UserByEmail() mismatch (-want +got):\n%s", diff)
			}
			ok, err := h.Verify(hash, tt.pw)
			if err != nil || ok != tt.wantOK {
				t.Errorf("Verify() = %v, %v, want %v, nil", ok, err, tt.wantOK)
			}
		})
	}
}

func testSessionVersionBumps(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	ctx := context.Background()
	newHash, _ := Hasher(t).Hash("a brand new password")
	tests := []struct {
		name   string
		change func(id int64) error
		check  func(u store.User, hash string) bool
	}{
		{
			name:   "SetPassword",
			change: func(id int64) error { return s.SetPassword(ctx, id, newHash) },
			check:  func(_ store.User, hash string) bool { return hash == newHash },
		},
		{
			name:   "SetRole",
			change: func(id int64) error { return s.SetRole(ctx, id, store.RoleAdmin) },
			check:  func(u store.User, _ string) bool { return u.Role == store.RoleAdmin },
		},
		{
			name:   "SetDisabled",
			change: func(id int64) error { return s.SetDisabled(ctx, id, true) },
			check:  func(u store.User, _ string) bool { return u.Disabled && !u.CanCancel() },
		},
		{
			name: "BumpSessionVersion",
			change: func(id int64) error {
				v, err := s.BumpSessionVersion(ctx, id)
				if err == nil && v != 2 {
					return errors.New("returned version is not 2")
				}
				return err
			},
			check: func(store.User, string) bool { return true },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := CreateUser(t, s, tt.name+"@example.com", store.RoleResponder)
			if err := tt.change(before.ID); err != nil {
				t.Fatalf("%s() error = %v", tt.name, err)
			}
			after, hash, err := s.UserByEmail(ctx, before.Email)
			if err != nil {
				t.Fatalf("UserByEmail() error = %v", err)
			}
			if got, want := after.SessionVersion, before.SessionVersion+1; got != want {
				t.Errorf("SessionVersion after %s = %d, want %d", tt.name, got, want)
			}
			if !tt.check(after, hash) {
				t.Errorf("%s() did not change the user: %+v", tt.name, after)
			}
			if after.UpdatedAt.Before(before.UpdatedAt) {
				t.Errorf("UpdatedAt = %v, before %v", after.UpdatedAt, before.UpdatedAt)
			}
		})
	}
}

func testUserNotFound(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	ctx := context.Background()
	hash, _ := Hasher(t).Hash("a long enough password")
	const id = 4242
	tests := []struct {
		name string
		call func() error
	}{
		{name: "UserByID", call: func() error { _, err := s.UserByID(ctx, id); return err }},
		{name: "UserByEmail", call: func() error { _, _, err := s.UserByEmail(ctx, "nobody@example.com"); return err }},
		{name: "UserByEmail malformed", call: func() error { _, _, err := s.UserByEmail(ctx, "nobody"); return err }},
		{name: "UserByEmail NUL", call: func() error { _, _, err := s.UserByEmail(ctx, "no\x00body@example.com"); return err }},
		{name: "SetPassword", call: func() error { return s.SetPassword(ctx, id, hash) }},
		{name: "SetRole", call: func() error { return s.SetRole(ctx, id, store.RoleViewer) }},
		{name: "SetDisabled", call: func() error { return s.SetDisabled(ctx, id, true) }},
		{name: "BumpSessionVersion", call: func() error { _, err := s.BumpSessionVersion(ctx, id); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s() error = %v, want ErrNotFound", tt.name, err)
			}
		})
	}
}

// testListUsers also checks that emails sort in byte order on every
// backend ("a-b" before "a_b" before "ab"), whatever the database's
// collation says.
func testListUsers(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	c := CreateUser(t, s, "carol@example.com", store.RoleViewer)
	a := CreateUser(t, s, "alice@example.com", store.RoleAdmin)
	b := CreateUser(t, s, "bob@example.com", store.RoleResponder)
	ab := CreateUser(t, s, "ab@example.com", store.RoleViewer)
	aUnder := CreateUser(t, s, "a_b@example.com", store.RoleViewer)
	aDash := CreateUser(t, s, "a-b@example.com", store.RoleViewer)
	got, err := s.ListUsers(context.Background())
	if err != nil {
		t.Fatalf("ListUsers() error = %v", err)
	}
	if diff := cmp.Diff([]store.User{aDash, aUnder, ab, a, b, c}, got); diff != "" {
		t.Errorf("ListUsers() mismatch (-want +got):\n%s", diff)
	}
}
