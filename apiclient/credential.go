package apiclient

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
)

// Credential authenticates one call. It travels with each request and is never
// stored in the Client, so one analyst's token can never reach another analyst's
// request.
//
// Set either APIToken (preferred, sent as "Authorization: Bearer") or Email and
// APIKey (the legacy global API key, sent as X-Auth-Email and X-Auth-Key).
type Credential struct {
	APIToken string
	Email    string
	APIKey   string
}

// errNoCredential is returned when a Credential has neither scheme filled in.
var errNoCredential = errors.New("apiclient: credential has neither an api token nor an email and api key")

// validate checks that exactly one scheme is usable and that no value could
// inject a header line.
func (c Credential) validate() error {
	for _, v := range []string{c.APIToken, c.Email, c.APIKey} {
		if strings.ContainsAny(v, "\r\n\x00") {
			return errors.New("apiclient: credential contains control characters")
		}
	}
	switch {
	case c.APIToken != "":
		return nil
	case c.Email != "" && c.APIKey != "":
		return nil
	}
	return errNoCredential
}

// apply sets the authentication headers of one request.
func (c Credential) apply(h http.Header) {
	if c.APIToken != "" {
		h.Set("Authorization", "Bearer "+c.APIToken)
		return
	}
	h.Set("X-Auth-Email", c.Email)
	h.Set("X-Auth-Key", c.APIKey)
}

// String keeps the secret out of any %v or %s formatting.
func (c Credential) String() string { return "apiclient.Credential{[redacted]}" }

// GoString keeps the secret out of %#v formatting.
func (c Credential) GoString() string { return c.String() }

// LogValue keeps the secret out of slog output.
func (c Credential) LogValue() slog.Value { return slog.StringValue("[redacted]") }
