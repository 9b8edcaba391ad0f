package handlers

import (
	"strings"
	"testing"
)

// TestMaskCSRF: a masked token differs every time, is never the token or a
// piece of it, unmasks to the token, and only the token's masks (or the
// token itself, held by pages from before masking) match it.
func TestMaskCSRF(t *testing.T) {
	token := randomToken()
	seen := map[string]bool{}
	for range 100 {
		m := maskCSRF(token)
		if seen[m] || strings.Contains(m, token[:8]) {
			t.Fatalf("mask %q repeats or shows the token", m)
		}
		seen[m] = true
		if got, ok := unmaskCSRF(m); !ok || got != token {
			t.Fatalf("unmask = %q, %v", got, ok)
		}
		if !csrfMatches(m, token) {
			t.Fatal("a mask of the token does not match it")
		}
	}
	other, m := randomToken(), maskCSRF(token)
	for name, got := range map[string]string{
		"empty": "", "another token": other, "another token's mask": maskCSRF(other),
		"pad only": m[:len(m)/2], "not base64": "!!!!" + m[4:], "longer": m + "AA",
		"changed byte": string(m[0]^1) + m[1:], "token twice": token + token,
	} {
		if csrfMatches(got, token) {
			t.Errorf("%s matches", name)
		}
	}
	if !csrfMatches(token, token) {
		t.Error("the token itself (an old page) is refused")
	}
	if csrfMatches("", "") || csrfMatches(maskCSRF(""), "") || maskCSRF("") != "" {
		t.Error("an empty session token matches something")
	}
}
