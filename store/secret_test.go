package store_test

import (
	"bytes"
	"encoding/base64"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/store"
)

// renderings returns v as printed by every fmt verb that could show it,
// by slog (text and JSON) and by encoding/json, directly and nested in an
// exported field.
func renderings(t *testing.T, v any) map[string]string {
	t.Helper()
	wrapped := struct{ Field any }{v}
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		out[verb] = fmt.Sprintf(verb, v)
		out["nested "+verb] = fmt.Sprintf(verb, wrapped)
	}
	out["Sprint"] = fmt.Sprint(v)
	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"slog json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(newHandler(&buf)).Info("msg", "value", v, "nested", wrapped, slog.Group("g", "value", v))
		out[name] = buf.String()
	}
	for name, x := range map[string]any{"json": v, "json nested": wrapped} {
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatalf("json.Marshal(%s) error = %v", name, err)
		}
		out[name] = string(b)
	}
	return out
}

func TestSecretNeverPrinted(t *testing.T) {
	t.Parallel()
	s := store.Secret{Token: "TOKEN-canary-7f3a", Email: "mail-canary@example.com", Key: "KEY-canary-91bc"}
	secrets := []string{s.Token, s.Key, hex.EncodeToString([]byte(s.Token)), hex.EncodeToString([]byte(s.Key))}
	for name, got := range renderings(t, s) {
		for _, secret := range secrets {
			if strings.Contains(strings.ToLower(got), strings.ToLower(secret)) {
				t.Errorf("%s of Secret = %q, reveals %q", name, got, secret)
			}
		}
		if !strings.Contains(name, "%T") && !strings.Contains(got, "[redacted]") {
			t.Errorf("%s of Secret = %q, want it to say [redacted]", name, got)
		}
	}
	b, err := xml.Marshal(s)
	if err != nil || bytes.Contains(b, []byte(s.Token)) {
		t.Errorf("xml.Marshal() = %s, %v, want the secret redacted", b, err)
	}
	if err := gob.NewEncoder(&bytes.Buffer{}).Encode(s); err == nil {
		t.Errorf("gob Encode(Secret) error = nil, want a refusal")
	}
}

func TestKeyringNeverPrinted(t *testing.T) {
	t.Parallel()
	raw := bytes.Repeat([]byte("K3y!"), 8)
	b64 := base64.StdEncoding.EncodeToString(raw)
	k := newKeyring(t, b64+","+newKey(t))
	secrets := []string{b64, string(raw), hex.EncodeToString(raw), fmt.Sprint(raw), fmt.Sprintf("%q", raw)}
	// The pointer and the dereferenced value must be equally quiet.
	for _, v := range []any{k, *k} {
		for name, got := range renderings(t, v) {
			for _, secret := range secrets {
				if strings.Contains(got, secret) {
					t.Errorf("%s of %T = %q, reveals key material", name, v, got)
				}
			}
			if !strings.Contains(name, "%T") && !strings.Contains(got, "redacted") && !strings.Contains(got, "newest") {
				t.Errorf("%s of %T = %q, want the redacted summary", name, v, got)
			}
		}
	}
}
