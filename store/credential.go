package store

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/respond/bulkjobs/apiclient"
)

// CredentialKind says which Cloudflare authentication scheme a credential
// uses.
type CredentialKind string

// The two Cloudflare authentication schemes.
const (
	// CredentialAPIToken is a scoped API token (Authorization: Bearer).
	CredentialAPIToken CredentialKind = "api_token"
	// CredentialGlobalKey is an email plus global API key
	// (X-Auth-Email and X-Auth-Key).
	CredentialGlobalKey CredentialKind = "global_key"
)

// Valid reports whether k is one of the defined kinds.
func (k CredentialKind) Valid() bool {
	return k == CredentialAPIToken || k == CredentialGlobalKey
}

// Credential is a stored Cloudflare credential without its secret: safe to
// list, render and log.
type Credential struct {
	ID        string // UUID (version 7, so IDs sort by creation)
	UserID    int64
	Label     string
	AccountID string // 32 lower-case hex characters
	Kind      CredentialKind
	// Email is the Cloudflare login for CredentialGlobalKey and empty for
	// CredentialAPIToken. It is not secret.
	Email string
	// Last4 is the end of the token or key, for recognising it; empty when
	// the secret is shorter than 8 characters.
	Last4        string
	CreatedAt    time.Time
	LastTestedAt *time.Time // nil until tested
	LastTestOK   *bool      // nil until tested
}

// NewCredential is what AddCredential needs. Surrounding spaces are trimmed
// from every field and the account ID is lower-cased.
type NewCredential struct {
	UserID    int64
	Label     string
	AccountID string
	Kind      CredentialKind
	// Secret holds Token for CredentialAPIToken, or Email and Key for
	// CredentialGlobalKey; the other fields must be empty.
	Secret Secret
}

// Limits on credential fields.
const (
	maxLabelLen  = 100
	maxSecretLen = 1024
)

// Validate normalizes n and checks it, returning an error matching
// ErrInvalid that names the field at fault. The error never contains the
// secret.
func (n NewCredential) Validate() (NewCredential, error) {
	n.Label = strings.TrimSpace(n.Label)
	n.AccountID = strings.ToLower(strings.TrimSpace(n.AccountID))
	n.Secret = Secret{
		Token: strings.TrimSpace(n.Secret.Token),
		Email: strings.TrimSpace(n.Secret.Email),
		Key:   strings.TrimSpace(n.Secret.Key),
	}
	switch {
	case n.UserID <= 0:
		return n, invalid("credential has no owner")
	case n.Label == "":
		return n, invalid("label is required")
	case !utf8.ValidString(n.Label):
		return n, invalid("label contains bytes that are not UTF-8 text")
	case utf8.RuneCountInString(n.Label) > maxLabelLen:
		return n, invalid("label is longer than 100 characters")
	case strings.IndexFunc(n.Label, unicode.IsControl) >= 0:
		return n, invalid("label contains control characters")
	case !apiclient.ValidAccountID(n.AccountID):
		return n, invalid("account ID must be 32 hexadecimal characters")
	}
	switch n.Kind {
	case CredentialAPIToken:
		if n.Secret.Email != "" || n.Secret.Key != "" {
			return n, invalid("an API token credential takes no email or global key")
		}
		return n, checkSecret("API token", n.Secret.Token)
	case CredentialGlobalKey:
		if n.Secret.Token != "" {
			return n, invalid("a global key credential takes no API token")
		}
		if a, err := mail.ParseAddress(n.Secret.Email); err != nil || a.Address != n.Secret.Email {
			return n, invalid("email for the global API key is not a valid address")
		}
		return n, checkSecret("global API key", n.Secret.Key)
	default:
		return n, invalid("credential kind must be api_token or global_key")
	}
}

// checkSecret checks a token or key without ever quoting it.
func checkSecret(what, s string) error {
	switch {
	case s == "":
		return invalid(what + " is required")
	case len(s) > maxSecretLen:
		return invalid(what + " is longer than 1024 characters")
	case strings.IndexFunc(s, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) || r == ' ' }) >= 0:
		return invalid(what + " contains spaces or characters that cannot be part of it")
	}
	return nil
}

// last4 returns the last four characters of secret, or "" when the secret
// is shorter than 8 characters, so that at most half of it is ever shown.
func last4(secret string) string {
	r := []rune(secret)
	if len(r) < 8 {
		return ""
	}
	return string(r[len(r)-4:])
}

// sealed returns the part of the secret that is sealed: the token or the
// global key. The global key's email is stored in the clear.
func (n NewCredential) sealed() string {
	if n.Kind == CredentialGlobalKey {
		return n.Secret.Key
	}
	return n.Secret.Token
}

// secretFor rebuilds the opened Secret of c from its sealed part.
func secretFor(c Credential, plaintext []byte) Secret {
	if c.Kind == CredentialGlobalKey {
		return Secret{Email: c.Email, Key: string(plaintext)}
	}
	return Secret{Token: string(plaintext)}
}

// credentialAAD binds a sealed secret to its row and owner, so that a
// ciphertext copied into another row or another user's row fails to open.
func credentialAAD(id string, userID int64) []byte {
	return fmt.Appendf(nil, "credential:v1:%s:%d", id, userID)
}

// newSealedCredential validates n and makes the row both stores insert: a
// new ID, the shown fields, and the secret sealed with keys' newest key
// under the row's AAD.
func newSealedCredential(keys *Keyring, n NewCredential) (c Credential, keyID string, sealed []byte, err error) {
	if n, err = n.Validate(); err != nil {
		return Credential{}, "", nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Credential{}, "", nil, fmt.Errorf("new id: %w", err)
	}
	c = Credential{
		ID: id.String(), UserID: n.UserID, Label: n.Label, AccountID: n.AccountID, Kind: n.Kind,
		Email: n.Secret.Email, Last4: last4(n.sealed()), CreatedAt: now(),
	}
	keyID, sealed, err = keys.Seal([]byte(n.sealed()), credentialAAD(c.ID, c.UserID))
	if err != nil {
		return Credential{}, "", nil, err
	}
	return c, keyID, sealed, nil
}
