package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/respond/bulkjobs/store"
)

const (
	accountA = "0123456789abcdef0123456789abcdef"
	accountB = "fedcba9876543210fedcba9876543210"
	tokenA   = "tokA-9c1f5e2d7b3a4e6f8a0b1c2d3e4fWXYZ"
)

// addToken stores an API token credential and returns it.
func addToken(t *testing.T, s store.Store, userID int64, label, account, token string) store.Credential {
	t.Helper()
	c, err := s.AddCredential(context.Background(), store.NewCredential{
		UserID: userID, Label: label, AccountID: account,
		Kind: store.CredentialAPIToken, Secret: store.Secret{Token: token},
	})
	if err != nil {
		t.Fatalf("AddCredential(%q) error = %v", label, err)
	}
	return c
}

func TestAddAndOpenCredential(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	u := createUser(t, s, "ana@example.com", store.RoleResponder)
	tests := []struct {
		name       string
		in         store.NewCredential
		want       store.Credential
		wantSecret store.Secret
	}{
		{
			name: "api token, trimmed and lower-cased",
			in: store.NewCredential{Label: " prod ", AccountID: " " + strings.ToUpper(accountA),
				Kind: store.CredentialAPIToken, Secret: store.Secret{Token: " " + tokenA + "\n"}},
			want:       store.Credential{Label: "prod", AccountID: accountA, Kind: store.CredentialAPIToken, Last4: "WXYZ"},
			wantSecret: store.Secret{Token: tokenA},
		},
		{
			name: "global key",
			in: store.NewCredential{Label: "legacy", AccountID: accountB, Kind: store.CredentialGlobalKey,
				Secret: store.Secret{Email: "ana@example.com", Key: "0123456789abcdef0123456789abcdef01234"}},
			want: store.Credential{Label: "legacy", AccountID: accountB, Kind: store.CredentialGlobalKey,
				Email: "ana@example.com", Last4: "1234"},
			wantSecret: store.Secret{Email: "ana@example.com", Key: "0123456789abcdef0123456789abcdef01234"},
		},
		{
			name: "short secret shows no last4",
			in: store.NewCredential{Label: "short", AccountID: accountA, Kind: store.CredentialAPIToken,
				Secret: store.Secret{Token: "abc1234"}},
			want:       store.Credential{Label: "short", AccountID: accountA, Kind: store.CredentialAPIToken},
			wantSecret: store.Secret{Token: "abc1234"},
		},
		{
			name: "eight characters show four",
			in: store.NewCredential{Label: "eight", AccountID: accountA, Kind: store.CredentialAPIToken,
				Secret: store.Secret{Token: "abcd5678"}},
			want:       store.Credential{Label: "eight", AccountID: accountA, Kind: store.CredentialAPIToken, Last4: "5678"},
			wantSecret: store.Secret{Token: "abcd5678"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			tt.in.UserID = u.ID
			got, err := s.AddCredential(ctx, tt.in)
			if err != nil {
				t.Fatalf("AddCredential() error = %v", err)
			}
			tt.want.ID, tt.want.UserID, tt.want.CreatedAt = got.ID, u.ID, got.CreatedAt
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AddCredential() mismatch (-want +got):\n%s", diff)
			}
			opened, secret, err := s.OpenCredential(ctx, u.ID, got.ID)
			if err != nil {
				t.Fatalf("OpenCredential() error = %v", err)
			}
			if diff := cmp.Diff(got, opened); diff != "" {
				t.Errorf("OpenCredential() credential mismatch (-want +got):\n%s", diff)
			}
			if secret != tt.wantSecret {
				// Compare fields one by one: Secret prints as [redacted].
				t.Errorf("OpenCredential() secret token/email/key = %q/%q/%q, want %q/%q/%q",
					secret.Token, secret.Email, secret.Key, tt.wantSecret.Token, tt.wantSecret.Email, tt.wantSecret.Key)
			}
		})
	}
}

func TestAddCredentialInvalid(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	u := createUser(t, s, "ana@example.com", store.RoleResponder)
	const secret = "s3cr3t-v@lue with space"
	tests := []struct {
		name string
		in   store.NewCredential
	}{
		{name: "no label", in: store.NewCredential{UserID: u.ID, AccountID: accountA, Kind: store.CredentialAPIToken, Secret: store.Secret{Token: tokenA}}},
		{name: "control in label", in: store.NewCredential{UserID: u.ID, Label: "a\x00b", AccountID: accountA, Kind: store.CredentialAPIToken, Secret: store.Secret{Token: tokenA}}},
		{name: "short account", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: accountA[1:], Kind: store.CredentialAPIToken, Secret: store.Secret{Token: tokenA}}},
		{name: "non-hex account", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: "g" + accountA[1:], Kind: store.CredentialAPIToken, Secret: store.Secret{Token: tokenA}}},
		{name: "unknown kind", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: accountA, Kind: "oauth", Secret: store.Secret{Token: tokenA}}},
		{name: "no token", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: accountA, Kind: store.CredentialAPIToken}},
		{name: "token with space", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: accountA, Kind: store.CredentialAPIToken, Secret: store.Secret{Token: secret}}},
		{name: "token and key", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: accountA, Kind: store.CredentialAPIToken, Secret: store.Secret{Token: tokenA, Key: secret}}},
		{name: "global key without email", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: accountA, Kind: store.CredentialGlobalKey, Secret: store.Secret{Key: tokenA}}},
		{name: "global key with space", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: accountA, Kind: store.CredentialGlobalKey, Secret: store.Secret{Email: "a@example.com", Key: secret}}},
		{name: "no owner", in: store.NewCredential{Label: "x", AccountID: accountA, Kind: store.CredentialAPIToken, Secret: store.Secret{Token: tokenA}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := s.AddCredential(context.Background(), tt.in)
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("AddCredential() error = %v, want ErrInvalid", err)
			}
			if msg := err.Error(); strings.Contains(msg, secret) || strings.Contains(msg, tokenA) {
				t.Errorf("AddCredential() error %q contains the secret", msg)
			}
		})
	}
}

func TestAddCredentialUnknownUser(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	_, err := s.AddCredential(context.Background(), store.NewCredential{UserID: 77, Label: "x",
		AccountID: accountA, Kind: store.CredentialAPIToken, Secret: store.Secret{Token: tokenA}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddCredential() for unknown user error = %v, want ErrNotFound", err)
	}
}

func TestCredentialIsolation(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx := context.Background()
	a := createUser(t, s, "a@example.com", store.RoleResponder)
	b := createUser(t, s, "b@example.com", store.RoleResponder)
	credA := addToken(t, s, a.ID, "a's", accountA, tokenA)
	addToken(t, s, b.ID, "b's", accountB, "tokB-0000000000000000000000000000")

	tests := []struct {
		name string
		call func() error
	}{
		{name: "Credential", call: func() error { _, err := s.Credential(ctx, b.ID, credA.ID); return err }},
		{name: "OpenCredential", call: func() error { _, _, err := s.OpenCredential(ctx, b.ID, credA.ID); return err }},
		{name: "CredentialForAccount", call: func() error { _, _, err := s.CredentialForAccount(ctx, b.ID, accountA); return err }},
		{name: "RecordCredentialTest", call: func() error { return s.RecordCredentialTest(ctx, b.ID, credA.ID, true, time.Now()) }},
		{name: "DeleteCredential", call: func() error { _, err := s.DeleteCredential(ctx, b.ID, credA.ID); return err }},
		{name: "unknown id", call: func() error { _, err := s.Credential(ctx, a.ID, "not-a-uuid"); return err }},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyDeleted) {
			t.Errorf("%s() by another user error = %v, want ErrNotFound (not ErrAlreadyDeleted)", tt.name, err)
		}
	}
	// A's credential survived B's attempts untouched.
	got, err := s.Credential(ctx, a.ID, credA.ID)
	if err != nil {
		t.Fatalf("Credential() by owner error = %v", err)
	}
	if diff := cmp.Diff(credA, got); diff != "" {
		t.Errorf("Credential() after B's attempts mismatch (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		user int64
		want []string
	}{{a.ID, []string{accountA}}, {b.ID, []string{accountB}}} {
		ids, err := s.AccountIDs(ctx, tc.user)
		if err != nil {
			t.Fatalf("AccountIDs() error = %v", err)
		}
		if diff := cmp.Diff(tc.want, ids); diff != "" {
			t.Errorf("AccountIDs(%d) mismatch (-want +got):\n%s", tc.user, diff)
		}
	}
}

func TestCredentialsListAndNewest(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx := context.Background()
	u := createUser(t, s, "ana@example.com", store.RoleResponder)
	older := addToken(t, s, u.ID, "beta", accountA, "tok-older-00000000000000")
	newer := addToken(t, s, u.ID, "Alpha", accountA, "tok-newer-11111111111111")
	other := addToken(t, s, u.ID, "gamma", accountB, "tok-other-22222222222222")

	list, err := s.Credentials(ctx, u.ID)
	if err != nil {
		t.Fatalf("Credentials() error = %v", err)
	}
	if diff := cmp.Diff([]store.Credential{newer, older, other}, list); diff != "" {
		t.Errorf("Credentials() mismatch (-want +got):\n%s", diff)
	}
	got, secret, err := s.CredentialForAccount(ctx, u.ID, accountA)
	if err != nil {
		t.Fatalf("CredentialForAccount() error = %v", err)
	}
	if got.ID != newer.ID || secret.Token != "tok-newer-11111111111111" {
		t.Errorf("CredentialForAccount() = %s (%s), want the newest %s", got.ID, got.Label, newer.ID)
	}
	ids, err := s.AccountIDs(ctx, u.ID)
	if err != nil {
		t.Fatalf("AccountIDs() error = %v", err)
	}
	if diff := cmp.Diff([]string{accountA, accountB}, ids); diff != "" {
		t.Errorf("AccountIDs() mismatch (-want +got):\n%s", diff)
	}
}

func TestRecordCredentialTestAndDelete(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx := context.Background()
	u := createUser(t, s, "ana@example.com", store.RoleResponder)
	c := addToken(t, s, u.ID, "prod", accountA, tokenA)
	at := time.Date(2025, 3, 4, 5, 6, 7, 891234567, time.FixedZone("x", 3600))
	if err := s.RecordCredentialTest(ctx, u.ID, c.ID, false, at); err != nil {
		t.Fatalf("RecordCredentialTest() error = %v", err)
	}
	got, err := s.Credential(ctx, u.ID, c.ID)
	if err != nil {
		t.Fatalf("Credential() error = %v", err)
	}
	wantAt, wantOK := at.UTC().Truncate(time.Microsecond), false
	c.LastTestedAt, c.LastTestOK = &wantAt, &wantOK
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("Credential() after test mismatch (-want +got):\n%s", diff)
	}
	deleted, err := s.DeleteCredential(ctx, u.ID, c.ID)
	if err != nil {
		t.Fatalf("DeleteCredential() error = %v", err)
	}
	if deleted.Label != "prod" || deleted.AccountID != accountA {
		t.Errorf("DeleteCredential() = %+v, want the deleted credential's label and account", deleted)
	}
	// Every later look at it says it was deleted, which is also "not found".
	if _, err := s.Credential(ctx, u.ID, c.ID); !errors.Is(err, store.ErrAlreadyDeleted) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Credential() after delete error = %v, want ErrAlreadyDeleted and ErrNotFound", err)
	}
	if _, _, err := s.OpenCredential(ctx, u.ID, c.ID); !errors.Is(err, store.ErrAlreadyDeleted) {
		t.Errorf("OpenCredential() after delete error = %v, want ErrAlreadyDeleted", err)
	}
	again, err := s.DeleteCredential(ctx, u.ID, c.ID)
	if !errors.Is(err, store.ErrAlreadyDeleted) || again.Label != "prod" {
		t.Errorf("DeleteCredential() twice = %+v, %v, want ErrAlreadyDeleted with the label", again, err)
	}
	// Another user asking about the deleted ID learns nothing new.
	other := createUser(t, s, "bo@example.com", store.RoleResponder)
	if _, err := s.DeleteCredential(ctx, other.ID, c.ID); !errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyDeleted) {
		t.Errorf("DeleteCredential() of another's deleted credential error = %v, want plain ErrNotFound", err)
	}
}

// TestDeleteCredentialConcurrently deletes one credential from ten goroutines
// at once: exactly one deletes it, the others get ErrAlreadyDeleted, and no
// call fails otherwise.
func TestDeleteCredentialConcurrently(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx := context.Background()
	u := createUser(t, s, "ana@example.com", store.RoleResponder)
	c := addToken(t, s, u.ID, "prod", accountA, tokenA)
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.DeleteCredential(ctx, u.ID, c.ID)
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
