package apiclient

import (
	"errors"

	"github.com/google/uuid"
)

// ErrInvalidID is returned, before any request is sent, when an account or job ID
// is malformed. No URL is ever built from an unvalidated value: an ID holding
// "..", "#" or "?" would otherwise reach another Cloudflare endpoint with the
// analyst's credential.
var ErrInvalidID = errors.New("apiclient: invalid id")

// ValidAccountID reports whether s is a Cloudflare account ID: exactly 32
// lowercase hexadecimal characters. The API documents only "maxLength 32"; every
// real account ID is the 32-character hex form.
func ValidAccountID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ValidJobID reports whether s is a job ID in canonical form: a lowercase,
// hyphenated UUID. uuid.Parse alone also accepts "urn:uuid:" prefixes, braces,
// missing hyphens and upper case, so the parsed value must print back identical.
func ValidJobID(s string) bool {
	if len(s) != 36 {
		return false
	}
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// ValidMessageID reports whether s is a canonical message row ID (also a UUID).
func ValidMessageID(s string) bool { return ValidJobID(s) }
