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
		test{"AddAndOpenCredential", testAddAndOpenCredential},
		test{"AddCredentialInvalid", testAddCredentialInvalid},
		test{"AddCredentialUnknownUser", testAddCredentialUnknownUser},
		test{"CredentialIsolation", testCredentialIsolation},
		test{"CredentialsListAndNewest", testCredentialsListAndNewest},
		test{"RecordCredentialTestAndDelete", testRecordCredentialTestAndDelete},
	)
}

func testAddAndOpenCredential(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	u := CreateUser(t, s, "ana@example.com", store.RoleResponder)
	tests := []struct {
		name       string
		in         store.NewCredential
		want       store.Credential
		wantSecret store.Secret
	}{
		{
			name: "api token, trimmed and lower-cased",
			in: store.NewCredential{Label: " prod ", AccountID: " " + strings.ToUpper(AccountA),
				Kind: store.CredentialAPIToken, Secret: store.Secret{Token: " " + TokenA + "\n"}},
			want:       store.Credential{Label: "prod", AccountID: AccountA, Kind: store.CredentialAPIToken, Last4: "WXYZ"},
			wantSecret: store.Secret{Token: TokenA},
		},
		{
			name: "global key",
			in: store.NewCredential{Label: "legacy", AccountID: AccountB, Kind: store.CredentialGlobalKey,
				Secret: store.Secret{Email: "ana@example.com", Key: "0123456789abcdef0123456789abcdef01234"}},
			want: store.Credential{Label: "legacy", AccountID: AccountB, Kind: store.CredentialGlobalKey,
				Email: "ana@example.com", Last4: "1234"},
			wantSecret: store.Secret{Email: "ana@example.com", Key: "0123456789abcdef0123456789abcdef01234"},
		},
		{
			name: "short secret shows no last4",
			in: store.NewCredential{Label: "short", AccountID: AccountA, Kind: store.CredentialAPIToken,
				Secret: store.Secret{Token: "abc1234"}},
			want:       store.Credential{Label: "short", AccountID: AccountA, Kind: store.CredentialAPIToken},
			wantSecret: store.Secret{Token: "abc1234"},
		},
		{
			name: "eight characters show four",
			in: store.NewCredential{Label: "eight", AccountID: AccountA, Kind: store.CredentialAPIToken,
				Secret: store.Secret{Token: "abcd5678"}},
			want:       store.Credential{Label: "eight", AccountID: AccountA, Kind: store.CredentialAPIToken, Last4: "5678"},
			wantSecret: store.Secret{Token: "abcd5678"},
		},
		{
			name: "label in any script",
			in: store.NewCredential{Label: "Émile — ☁ prod", AccountID: AccountA, Kind: store.CredentialAPIToken,
				Secret: store.Secret{Token: TokenA}},
			want:       store.Credential{Label: "Émile — ☁ prod", AccountID: AccountA, Kind: store.CredentialAPIToken, Last4: "WXYZ"},
			wantSecret: store.Secret{Token: TokenA},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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

func testAddCredentialInvalid(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	u := CreateUser(t, s, "ana@example.com", store.RoleResponder)
	const secret = "s3cr3t-v@lue with space"
	tok := store.Secret{Token: TokenA}
	tests := []struct {
		name string
		in   store.NewCredential
	}{
		{name: "no label", in: store.NewCredential{UserID: u.ID, AccountID: AccountA, Kind: store.CredentialAPIToken, Secret: tok}},
		{name: "control in label", in: store.NewCredential{UserID: u.ID, Label: "a\x00b", AccountID: AccountA, Kind: store.CredentialAPIToken, Secret: tok}},
		{name: "label not UTF-8", in: store.NewCredential{UserID: u.ID, Label: "caf\xe9", AccountID: AccountA, Kind: store.CredentialAPIToken, Secret: tok}},
		{name: "short account", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: AccountA[1:], Kind: store.CredentialAPIToken, Secret: tok}},
		{name: "non-hex account", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: "g" + AccountA[1:], Kind: store.CredentialAPIToken, Secret: tok}},
		{name: "unknown kind", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: AccountA, Kind: "oauth", Secret: tok}},
		{name: "no token", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: AccountA, Kind: store.CredentialAPIToken}},
		{name: "token with space", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: AccountA, Kind: store.CredentialAPIToken, Secret: store.Secret{Token: secret}}},
		{name: "token not UTF-8", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: AccountA, Kind: store.CredentialAPIToken, Secret: store.Secret{Token: "tok\xff\xfe0123456789"}}},
		{name: "token and key", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: AccountA, Kind: store.CredentialAPIToken, Secret: store.Secret{Token: TokenA, Key: secret}}},
		{name: "global key without email", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: AccountA, Kind: store.CredentialGlobalKey, Secret: store.Secret{Key: TokenA}}},
		{name: "global key email not UTF-8", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: AccountA, Kind: store.CredentialGlobalKey, Secret: store.Secret{Email: "a\xff@example.com", Key: TokenA}}},
		{name: "global key with space", in: store.NewCredential{UserID: u.ID, Label: "x", AccountID: AccountA, Kind: store.CredentialGlobalKey, Secret: store.Secret{Email: "a@example.com", Key: secret}}},
		{name: "no owner", in: store.NewCredential{Label: "x", AccountID: AccountA, Kind: store.CredentialAPIToken, Secret: tok}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.AddCredential(context.Background(), tt.in)
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("AddCredential() error = %v, want ErrInvalid", err)
			}
			if msg := err.Error(); strings.Contains(msg, secret) || strings.Contains(msg, TokenA) {
				t.Errorf("AddCredential() error %q contains the secret", msg)
			}
		})
	}
}

func testAddCredentialUnknownUser(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	_, err := s.AddCredential(context.Background(), store.NewCredential{UserID: 77, Label: "x",
		AccountID: AccountA, Kind: store.CredentialAPIToken, Secret: store.Secret{Token: TokenA}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddCredential() for unknown user error = %v, want ErrNotFound", err)
	}
}

func testCredentialIsolation(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	ctx := context.Background()
	a := CreateUser(t, s, "a@example.com", store.RoleResponder)
	b := CreateUser(t, s, "b@example.com", store.RoleResponder)
	credA := AddToken(t, s, a.ID, "a's", AccountA, TokenA)
	AddToken(t, s, b.ID, "b's", AccountB, "tokB-0000000000000000000000000000")

	tests := []struct {
		name string
		call func() error
	}{
		{name: "Credential", call: func() error { _, err := s.Credential(ctx, b.ID, credA.ID); return err }},
		{name: "OpenCredential", call: func() error { _, _, err := s.OpenCredential(ctx, b.ID, credA.ID); return err }},
		{name: "CredentialForAccount", call: func() error { _, _, err := s.CredentialForAccount(ctx, b.ID, AccountA); return err }},
		{name: "RecordCredentialTest", call: func() error { return s.RecordCredentialTest(ctx, b.ID, credA.ID, true, time.Now()) }},
		{name: "DeleteCredential", call: func() error { _, err := s.DeleteCredential(ctx, b.ID, credA.ID); return err }},
		{name: "unknown id", call: func() error { _, err := s.Credential(ctx, a.ID, "not-a-uuid"); return err }},
		// IDs and accounts from a URL can be anything; none is a 500.
		{name: "id not UTF-8", call: func() error { _, err := s.Credential(ctx, a.ID, "\xff\xfe"); return err }},
		{name: "open id with NUL", call: func() error { _, _, err := s.OpenCredential(ctx, a.ID, credA.ID+"\x00"); return err }},
		{name: "delete id with NUL", call: func() error { _, err := s.DeleteCredential(ctx, a.ID, "\x00"); return err }},
		{name: "test id not UTF-8", call: func() error { return s.RecordCredentialTest(ctx, a.ID, "\xc3", true, time.Now()) }},
		{name: "account not UTF-8", call: func() error { _, _, err := s.CredentialForAccount(ctx, a.ID, "\xff"+AccountA[1:]); return err }},
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
	}{{a.ID, []string{AccountA}}, {b.ID, []string{AccountB}}, {9999, nil}} {
		ids, err := s.AccountIDs(ctx, tc.user)
		if err != nil {
			t.Fatalf("AccountIDs() error = %v", err)
		}
		if diff := cmp.Diff(tc.want, ids); diff != "" {
			t.Errorf("AccountIDs(%d) mismatch (-want +got):\n%s", tc.user, diff)
		}
	}
}

// testCredentialsListAndNewest also checks the order of labels that differ
// only in case or punctuation: byte order after ASCII case folding, on every
// backend, whatever the database's collation says.
func testCredentialsListAndNewest(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	ctx := context.Background()
	u := CreateUser(t, s, "ana@example.com", store.RoleResponder)
	older := AddToken(t, s, u.ID, "beta", AccountA, "tok-older-00000000000000")
	newer := AddToken(t, s, u.ID, "Alpha", AccountA, "tok-newer-11111111111111")
	other := AddToken(t, s, u.ID, "gamma", AccountB, "tok-other-22222222222222")
	lower := AddToken(t, s, u.ID, "alpha", AccountB, "tok-lower-33333333333333")
	under := AddToken(t, s, u.ID, "x_1", AccountB, "tok-under-44444444444444")
	dash := AddToken(t, s, u.ID, "x-1", AccountB, "tok-dash-555555555555555")
	accent := AddToken(t, s, u.ID, "Émile", AccountB, "tok-accent-6666666666666")

	list, err := s.Credentials(ctx, u.ID)
	if err != nil {
		t.Fatalf("Credentials() error = %v", err)
	}
	want := []store.Credential{newer, lower, older, other, dash, under, accent}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("Credentials() mismatch (-want +got):\n%s", diff)
	}
	got, secret, err := s.CredentialForAccount(ctx, u.ID, AccountA)
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
	if diff := cmp.Diff([]string{AccountA, AccountB}, ids); diff != "" {
		t.Errorf("AccountIDs() mismatch (-want +got):\n%s", diff)
	}
}

func testRecordCredentialTestAndDelete(t *testing.T, fresh func(*testing.T) Opener) {
	s := newStore(t, fresh)
	ctx := context.Background()
	u := CreateUser(t, s, "ana@example.com", store.RoleResponder)
	c := AddToken(t, s, u.ID, "prod", AccountA, TokenA)
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
	if got.LastTestedAt.Location() != time.UTC || got.CreatedAt.Location() != time.UTC {
		t.Errorf("times come back in %v and %v, want UTC", got.LastTestedAt.Location(), got.CreatedAt.Location())
	}
	deleted, err := s.DeleteCredential(ctx, u.ID, c.ID)
	if err != nil {
		t.Fatalf("DeleteCredential() error = %v", err)
	}
	if deleted.Label != "prod" || deleted.AccountID != AccountA {
		t.Errorf("DeleteCredential() = %+v, want the deleted credential's label and account", deleted)
	}
	// Every later look at it says it was deleted, which is also "not found".
	if _, err := s.Credential(ctx, u.ID, c.ID); !errors.Is(err, store.ErrAlreadyDeleted) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Credential() after delete error = %v, want ErrAlreadyDeleted and ErrNotFound", err)
	}
	if _, _, err := s.OpenCredential(ctx, u.ID, c.ID); !errors.Is(err, store.ErrAlreadyDeleted) {
		t.Errorf("OpenCredential() after delete error = %v, want ErrAlreadyDeleted", err)
	}
	if _, _, err := s.CredentialForAccount(ctx, u.ID, AccountA); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CredentialForAccount() after delete error = %v, want ErrNotFound", err)
	}
	again, err := s.DeleteCredential(ctx, u.ID, c.ID)
	if !errors.Is(err, store.ErrAlreadyDeleted) || again.Label != "prod" {
		t.Errorf("DeleteCredential() twice = %+v, %v, want ErrAlreadyDeleted with the label", again, err)
	}
	// Another user asking about the deleted ID learns nothing new.
	other := CreateUser(t, s, "bo@example.com", store.RoleResponder)
	if _, err := s.DeleteCredential(ctx, other.ID, c.ID); !errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyDeleted) {
		t.Errorf("DeleteCredential() of another's deleted credential error = %v, want plain ErrNotFound", err)
	}
}
