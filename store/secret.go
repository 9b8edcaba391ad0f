package store

import (
	"errors"
	"fmt"
	"log/slog"
)

// redacted is what every printing path shows instead of a secret.
const redacted = "[redacted]"

// Secret is an opened Cloudflare credential: Token for CredentialAPIToken,
// or Email and Key for CredentialGlobalKey. Use its fields only to build the
// upstream request.
//
// Formatting with any fmt verb, slog, encoding/json, encoding.TextMarshaler
// users and String/GoString all print "[redacted]"; gob encoding fails. One
// hole is fmt's own: a Secret stored in an unexported struct field is printed
// field by field when the outer struct is formatted, so keep Secrets in
// local variables or exported fields.
type Secret struct {
	Token string
	Email string
	Key   string
}

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (Secret) GoString() string { return redacted }

// Format prints "[redacted]" for every verb, including those (%d, %x, ...)
// that would otherwise print the fields.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue keeps the secret out of slog output.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes the secret as the string "[redacted]".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]", for encoders such as encoding/xml.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// GobEncode refuses, so a Secret cannot end up in a session cookie or cache.
func (Secret) GobEncode() ([]byte, error) {
	return nil, errors.New("store: a secret cannot be gob-encoded")
}
