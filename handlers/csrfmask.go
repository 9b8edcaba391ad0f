package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
)

// Pages are compressed, and a compressed page that holds a secret next to
// text an attacker chose leaks the secret through its length (BREACH): the
// attacker makes the victim's browser load the page many times with guesses
// in, say, an audit filter, and watches which guess makes the answer
// shorter. The CSRF token is the secret in every page, so it is never
// written as it is: each copy is masked with a one-time pad, pad ‖ (pad XOR
// token), and two answers never share a byte sequence of the token for the
// compressor to match. RequireCSRF unmasks it again. See SECURITY.md.

// maskCSRF returns token masked with a fresh random pad, base64url encoded.
func maskCSRF(token string) string {
	if token == "" {
		return ""
	}
	n := len(token)
	b := make([]byte, 2*n)
	_, _ = rand.Read(b[:n]) // crypto/rand.Read never fails on supported platforms
	for i := range n {
		b[n+i] = b[i] ^ token[i]
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// unmaskCSRF reverses maskCSRF. ok is false when s is not a masked token.
func unmaskCSRF(s string) (token string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || len(b)%2 != 0 {
		return "", false
	}
	n := len(b) / 2
	out := make([]byte, n)
	for i := range n {
		out[i] = b[i] ^ b[n+i]
	}
	return string(out), true
}

// csrfMatches reports whether got, as sent by a form or htmx, carries the
// session's token want: masked as the pages write it, or as it is, as pages
// rendered before masking (still open in a browser) hold it.
func csrfMatches(got, want string) bool {
	if want == "" || got == "" {
		return false
	}
	if t, ok := unmaskCSRF(got); ok && len(t) == len(want) && subtle.ConstantTimeCompare([]byte(t), []byte(want)) == 1 {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
