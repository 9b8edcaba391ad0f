package apiclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	redactToken = "cfsim-DEMO-read-write-token-not-a-secret" // 40 bytes
	redactKey   = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234"    // a 37-digit hex global key
)

func TestRedactorString(t *testing.T) {
	t.Parallel()
	tok := redactToken
	uni := "tøkén-ünïcødé-sécret-€€" // multi-byte characters throughout
	tests := []struct {
		name string
		cred Credential
		give string
		want string
	}{
		{name: "whole token", cred: Credential{APIToken: tok}, give: "bad token " + tok + ".", want: "bad token [redacted]."},
		{name: "all but the last byte", cred: Credential{APIToken: tok}, give: "x" + tok[:len(tok)-1] + "y", want: "x[redacted]y"},
		{name: "all but the first byte", cred: Credential{APIToken: tok}, give: tok[1:], want: "[redacted]"},
		{name: "nine bytes from the middle", cred: Credential{APIToken: tok}, give: "ray " + tok[15:24] + " end", want: "ray [redacted] end"},
		{name: "exactly eight bytes", cred: Credential{APIToken: tok}, give: tok[20:28], want: "[redacted]"},
		{name: "seven bytes stay", cred: Credential{APIToken: tok}, give: "a " + tok[20:27] + " b", want: "a " + tok[20:27] + " b"},
		{name: "at the start", cred: Credential{APIToken: tok}, give: tok[:12] + " tail", want: "[redacted] tail"},
		{name: "at the end", cred: Credential{APIToken: tok}, give: "head " + tok[28:], want: "head [redacted]"},
		{name: "repeated back to back", cred: Credential{APIToken: tok}, give: tok + tok + tok, want: "[redacted]"},
		{name: "repeated apart", cred: Credential{APIToken: tok}, give: tok + " and " + tok, want: "[redacted] and [redacted]"},
		{name: "overlapping slices", cred: Credential{APIToken: tok}, give: tok[0:20] + tok[10:30] + tok[5:14], want: "[redacted]"},
		{name: "one byte changed", cred: Credential{APIToken: tok}, give: tok[:15] + "#" + tok[16:], want: "[redacted]#[redacted]"},
		{name: "global key slice", cred: Credential{Email: "a@b.example", APIKey: redactKey}, give: "ray " + redactKey[3:35] + "-SJC", want: "ray [redacted]-SJC"},
		{name: "both secrets", cred: Credential{APIToken: tok, APIKey: redactKey}, give: tok[2:11] + "|" + redactKey[9:20], want: "[redacted]|[redacted]"},
		{name: "email is not secret", cred: Credential{Email: "analyst@example.com", APIKey: redactKey}, give: "for analyst@example.com", want: "for analyst@example.com"},
		{name: "nothing to find", cred: Credential{APIToken: tok}, give: "job not found", want: "job not found"},
		{name: "empty", cred: Credential{APIToken: tok}, give: "", want: ""},
		{name: "short secret whole", cred: Credential{APIToken: "abcdef"}, give: "xabcdefx abcde", want: "x[redacted]x abcde"},
		{name: "unicode secret, whole characters", cred: Credential{APIToken: uni}, give: "« " + string([]rune(uni)[2:12]) + " »", want: "« [redacted] »"},
		// "ĸ" (C4 B8) ends in the same byte as the secret's "ø" (C3 B8): the
		// piece starts inside "ĸ" and widens to the whole character.
		{name: "unicode piece starting mid-character", cred: Credential{APIToken: uni}, give: "tĸ" + uni[3:20] + "!", want: "t[redacted]!"},
		{name: "unicode text around", cred: Credential{APIToken: tok}, give: "日本" + tok[3:13] + "語", want: "日本[redacted]語"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := newRedactor(tt.cred).String(tt.give)
			if got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.give, got, tt.want)
			}
			if utf8.ValidString(tt.give) && !utf8.ValidString(got) {
				t.Errorf("String(%q) = %q is not valid UTF-8", tt.give, got)
			}
			if got != naiveRedact(tt.cred, tt.give) {
				t.Errorf("String(%q) = %q, the reference gives %q", tt.give, got, naiveRedact(tt.cred, tt.give))
			}
		})
	}
}

// naiveRedact is the reference: mark every byte of every minLeak-byte window
// that occurs in a secret, widen each marked run to whole characters, and
// write one marker per run.
func naiveRedact(c Credential, s string) string {
	for _, w := range []string{c.APIToken, c.APIKey} {
		if len(w) >= 4 && len(w) < minLeak {
			s = strings.ReplaceAll(s, w, redactedText)
		}
	}
	mark := make([]bool, len(s)+1)
	for i := 0; i+minLeak <= len(s); i++ {
		for _, sec := range []string{c.APIToken, c.APIKey} {
			if len(sec) >= minLeak && strings.Contains(sec, s[i:i+minLeak]) {
				for j := i; j < i+minLeak; j++ {
					mark[j] = true
				}
			}
		}
	}
	for changed := true; changed; { // widen until stable
		changed = false
		for i := 0; i < len(s); i++ {
			if !mark[i] {
				continue
			}
			if i > 0 && !mark[i-1] && !utf8.RuneStart(s[i]) {
				mark[i-1], changed = true, true
			}
			if i+1 < len(s) && !mark[i+1] && !utf8.RuneStart(s[i+1]) {
				mark[i+1], changed = true, true
			}
		}
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case !mark[i]:
			b.WriteByte(s[i])
		case i == 0 || !mark[i-1]:
			b.WriteString(redactedText)
		}
	}
	return b.String()
}

func FuzzRedactor(f *testing.F) {
	f.Add(redactToken, "bad token "+redactToken[:39])
	f.Add(redactToken, redactToken[1:]+redactToken[5:30])
	f.Add("tøkén-ünïcødé-sécret-€€", "tø"+"tøkén-ünïcødé-sécret-€€"[3:20])
	f.Add("aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab")
	f.Add("abcdefghabcdefgh", "xxabcdefghabcdefghabcdxx")
	f.Fuzz(func(t *testing.T, secret, text string) {
		c := Credential{APIToken: secret}
		got := newRedactor(c).String(text)
		if want := naiveRedact(c, text); got != want {
			t.Fatalf("String(%q) with secret %q = %q, the reference gives %q", text, secret, got, want)
		}
		if utf8.ValidString(text) && !utf8.ValidString(got) {
			t.Fatalf("String(%q) = %q is not valid UTF-8", text, got)
		}
		// With a secret that cannot make up the marker, no piece of it is left.
		if len(secret) >= minLeak && !strings.ContainsAny(secret, "[]") && !strings.Contains(secret, "redacted") {
			for i := 0; i+minLeak <= len(got); i++ {
				if strings.Contains(secret, got[i:i+minLeak]) {
					t.Fatalf("String(%q) = %q still holds %q of the secret", text, got, got[i:i+minLeak])
				}
			}
		}
	})
}

func TestRedactorErr(t *testing.T) {
	t.Parallel()
	r := newRedactor(Credential{APIToken: redactToken})
	plain := errors.New("connection reset by peer")
	if got := r.err(plain); got != plain {
		t.Errorf("err(%v) = %v, want the same error when it holds no secret", plain, got)
	}
	dirty := fmt.Errorf("malformed HTTP status code %q: %w", redactToken[:20], context.DeadlineExceeded)
	got := r.err(dirty)
	if strings.Contains(got.Error(), redactToken[:20]) || !strings.Contains(got.Error(), "[redacted]") {
		t.Errorf("err().Error() = %q, want the token piece redacted", got.Error())
	}
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Error("the redacted error no longer matches context.DeadlineExceeded")
	}
	var timeout interface{ Timeout() bool }
	if !errors.As(got, &timeout) || !timeout.Timeout() {
		t.Error("the redacted error no longer reports a timeout")
	}
	if errors.Unwrap(got) != nil {
		t.Error("the redacted error gives back the original (whose text holds the token)")
	}
}

func TestValidRayID(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"8a1b2c3d4e5f6a7b-SJC", "8a1b2c3d4e5f6a7b-SIM", "8A1B2C3D4E5F6A7B-LHR", "8a1b2c3d", "8a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b-ABCD"} {
		if !validRayID(v) {
			t.Errorf("validRayID(%q) = false, want true", v)
		}
	}
	for _, v := range []string{"", "8a1b2c3", "8a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b0", "8a1b2c3d4e5f6a7b-", "8a1b2c3d4e5f6a7b-SJ",
		"8a1b2c3d4e5f6a7b-ABCDE", "8a1b2c3d4e5f6a7b-sjc", "8a1b2c3g-SJC", redactToken, "Bearer " + redactToken,
		"8a1b2c3d4e5f6a7b-SJC\r\nX: y", "8a1b2c3d4e5f6a7b-SJC-SJC", "8a1b2c3d 4e5f6a7b-SJC", "８a1b2c3d4e5f6a7b-SJC"} {
		if validRayID(v) {
			t.Errorf("validRayID(%q) = true, want false", v)
		}
	}
	// A hex global key fits the form; a piece of it is still dropped.
	r := newRedactor(Credential{Email: "a@b.example", APIKey: redactKey})
	if got := rayID(redactKey[:16]+"-SJC", r); got != "" {
		t.Errorf("rayID(a piece of the key) = %q, want it dropped", got)
	}
	if got := rayID("5f0e9d8c7b6a5948-SJC", r); got != "5f0e9d8c7b6a5948-SJC" {
		t.Errorf("rayID(a real ray) = %q, want it kept", got)
	}
}

func BenchmarkRedactorString(b *testing.B) {
	r := newRedactor(Credential{APIToken: redactToken})
	text := strings.Repeat("Move 1,204 messages from the finance mailbox; status message ok. ", 4) // 264 bytes, no secret
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		_ = r.String(text)
	}
}

func BenchmarkNewRedactor(b *testing.B) {
	for b.Loop() {
		_ = newRedactor(Credential{APIToken: redactToken})
	}
}
