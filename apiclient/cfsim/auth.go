package cfsim

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// Permission is what a principal may do on one account (contract 1,
// "Permissions"): read covers E1, E3 and E6; write covers everything.
type Permission int

const (
	// PermNone grants nothing; it is the zero value.
	PermNone Permission = iota
	// PermRead is "Cloud Email Security: Read".
	PermRead
	// PermWrite is "Cloud Email Security: Write", which also allows reading.
	PermWrite
)

// String returns "none", "read" or "write".
func (p Permission) String() string {
	switch p {
	case PermRead:
		return "read"
	case PermWrite:
		return "write"
	}
	return "none"
}

// Principal is one credential the simulator accepts: an API token (Token) or
// a legacy global key (Email and Key), with a permission per account.
type Principal struct {
	// Name identifies the principal in the request log and the rate limiter.
	Name string
	// Token is the API token sent as "Authorization: Bearer <token>".
	Token string
	// Email and Key are the legacy X-Auth-Email and X-Auth-Key values.
	Email, Key string
	// Accounts maps account IDs to the permission granted there.
	Accounts map[string]Permission
}

// principal is the Server's copy of a Principal.
type principal struct {
	Principal
}

// addPrincipals validates and indexes the principals.
func (s *Server) addPrincipals(ps []Principal) error {
	s.byToken = make(map[string]*principal)
	s.byEmail = make(map[string]*principal)
	names := make(map[string]bool)
	for _, p := range ps {
		switch {
		case p.Name == "" || names[p.Name]:
			return fmt.Errorf("principal %q: names must be unique and not empty", p.Name)
		case p.Token == "" && (p.Email == "" || p.Key == ""):
			return fmt.Errorf("principal %q: needs a token or an email and a key", p.Name)
		case p.Token != "" && !validToken(p.Token):
			return fmt.Errorf("principal %q: token must be printable ASCII without spaces", p.Name)
		case p.Email != "" && !validEmail(p.Email), p.Key != "" && !validKey(p.Key):
			return fmt.Errorf("principal %q: email or key has an invalid format", p.Name)
		case p.Token != "" && s.byToken[p.Token] != nil, p.Email != "" && s.byEmail[p.Email] != nil:
			return fmt.Errorf("principal %q: token or email already used", p.Name)
		}
		c := &principal{Principal: p}
		c.Accounts = make(map[string]Permission, len(p.Accounts))
		for id, perm := range p.Accounts {
			if !validAccountID(id) || perm < PermNone || perm > PermWrite {
				return fmt.Errorf("principal %q: bad account %q or permission", p.Name, id)
			}
			c.Accounts[id] = perm
			s.account(id)
		}
		names[p.Name] = true
		if p.Token != "" {
			s.byToken[p.Token] = c
		}
		if p.Email != "" {
			s.byEmail[p.Email] = c
		}
		s.principals = append(s.principals, c)
	}
	return nil
}

// authError explains why a request carries no valid credential.
type authError struct {
	rep reply
}

func (e *authError) Error() string { return e.rep.env.Errors[0].Message }

// authenticate identifies the principal (contract 7.3, 7.4; Q13, Q14).
//
// Each scheme present is checked on its own. The request is accepted when
// either scheme names a known principal (Q14; the bearer token wins when both
// do). Otherwise a well-formed but unknown credential gives 403 code 9109, and
// missing or malformed headers give 400 code 6003 with an error_chain entry
// per malformed header (6111 Authorization, 6102 X-Auth-Email, 6103
// X-Auth-Key). With no credential header at all the chain holds 6111.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	var chain []apiError
	unknown := false
	if vals, ok := r.Header["Authorization"]; ok {
		tok, ok := parseBearer(vals)
		switch {
		case !ok:
			chain = append(chain, apiError{Code: codeBadAuthFormat, Message: "Invalid format for Authorization header"})
		case s.byToken[tok] != nil:
			return s.byToken[tok], nil
		default:
			unknown = true
		}
	}
	emails, hasEmail := r.Header["X-Auth-Email"]
	keys, hasKey := r.Header["X-Auth-Key"]
	if hasEmail || hasKey {
		emailOK := len(emails) == 1 && validEmail(emails[0])
		keyOK := len(keys) == 1 && validKey(keys[0])
		if !emailOK {
			chain = append(chain, apiError{Code: codeBadEmailFormat, Message: "Invalid format for X-Auth-Email header"})
		}
		if !keyOK {
			chain = append(chain, apiError{Code: codeBadKeyFormat, Message: "Invalid format for X-Auth-Key header"})
		}
		if emailOK && keyOK {
			p := s.byEmail[emails[0]]
			if p != nil && p.Key != "" && subtle.ConstantTimeCompare([]byte(p.Key), []byte(keys[0])) == 1 {
				return p, nil
			}
			unknown = true
		}
	}
	if unknown {
		return nil, &authError{errReply(http.StatusForbidden, codeInvalidToken, "Invalid access token", "")}
	}
	if len(chain) == 0 {
		chain = append(chain, apiError{Code: codeBadAuthFormat, Message: "Invalid format for Authorization header"})
	}
	e := apiError{Code: codeBadHeaders, Message: "Invalid request headers", ErrorChain: chain}
	return nil, &authError{errorsReply(http.StatusBadRequest, e)}
}

// identify returns the name of the request's principal, or "", without any
// side effect. The request log uses it when a fault answers before
// authentication.
func (s *Server) identify(r *http.Request) string {
	p, err := s.authenticate(r)
	if err != nil {
		return ""
	}
	return p.Name
}

// parseBearer extracts the token of a single "Bearer <token>" header.
func parseBearer(vals []string) (string, bool) {
	if len(vals) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || !validToken(tok) {
		return "", false
	}
	return tok, true
}

// validToken accepts printable ASCII without spaces.
func validToken(t string) bool {
	if t == "" || len(t) > 512 {
		return false
	}
	for _, c := range []byte(t) {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// validEmail is a loose e-mail check: one "@" with text on both sides.
func validEmail(e string) bool {
	local, domain, ok := strings.Cut(e, "@")
	return ok && local != "" && domain != "" && !strings.Contains(domain, "@") && validToken(e)
}

// validKey accepts 1 to 128 letters, digits, '-' and '_' (real global keys
// are 37 hex digits).
func validKey(k string) bool {
	if k == "" || len(k) > 128 {
		return false
	}
	for _, c := range k {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validAccountID accepts 1 to 32 printable characters without '/' (the
// contract only sets maxLength 32).
func validAccountID(id string) bool {
	return id != "" && len(id) <= 32 && validToken(id) && !strings.Contains(id, "/")
}

// validJobID accepts a canonical lowercase UUID only (Q4): uuid.Parse also
// accepts braces, "urn:uuid:", upper case and no hyphens, so the parsed value
// must print back identical.
func validJobID(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}

var errNoPermission = errors.New("no permission")

// allowed checks p's permission on account against need (Q12, Q15).
func (p *principal) allowed(account string, need Permission) error {
	if p.Accounts[account] < need || p.Accounts[account] == PermNone {
		return errNoPermission
	}
	return nil
}
