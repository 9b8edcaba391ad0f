package store_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/respond/bulkjobs/store"
)

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	k := newKeyring(t, newKey(t))
	plaintext := []byte("the-token-value-1234")
	aad := []byte("credential:v1:id:1")
	keyID, ct, err := k.Seal(plaintext, aad)
	if err != nil {
		t.Fatalf("Seal() error = %v", err)
	}
	if keyID != k.NewestKeyID() || !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(keyID) {
		t.Errorf("Seal() key ID = %q, want the newest key's 8-hex ID %q", keyID, k.NewestKeyID())
	}
	if bytes.Contains(ct, plaintext) {
		t.Errorf("Seal() ciphertext contains the plaintext")
	}
	_, ct2, _ := k.Seal(plaintext, aad)
	if bytes.Equal(ct[:12], ct2[:12]) {
		t.Errorf("two Seal() calls used the same nonce")
	}
	got, err := k.Open(keyID, ct, aad)
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	if diff := cmp.Diff(plaintext, got); diff != "" {
		t.Errorf("Open() mismatch (-want +got):\n%s", diff)
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	k := newKeyring(t, newKey(t))
	other := newKeyring(t, newKey(t))
	aad := []byte("credential:v1:id:1")
	keyID, ct, err := k.Seal([]byte("secret"), aad)
	if err != nil {
		t.Fatalf("Seal() error = %v", err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(ct)
		b[i] ^= 0x80
		return b
	}
	tests := []struct {
		name  string
		ring  *store.Keyring
		keyID string
		ct    []byte
		aad   []byte
	}{
		{name: "nonce flipped", ring: k, keyID: keyID, ct: flip(0), aad: aad},
		{name: "body flipped", ring: k, keyID: keyID, ct: flip(13), aad: aad},
		{name: "tag flipped", ring: k, keyID: keyID, ct: flip(len(ct) - 1), aad: aad},
		{name: "truncated", ring: k, keyID: keyID, ct: ct[:len(ct)-1], aad: aad},
		{name: "too short", ring: k, keyID: keyID, ct: ct[:5], aad: aad},
		{name: "other row's aad", ring: k, keyID: keyID, ct: ct, aad: []byte("credential:v1:id:2")},
		{name: "unknown key id", ring: k, keyID: "00000000", ct: ct, aad: aad},
		{name: "key not in ring", ring: other, keyID: keyID, ct: ct, aad: aad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.ring.Open(tt.keyID, tt.ct, tt.aad)
			if !errors.Is(err, store.ErrSecretUnreadable) || got != nil {
				t.Errorf("Open() = %q, %v, want nil, ErrSecretUnreadable", got, err)
			}
		})
	}
}

func TestKeyringNewestFirst(t *testing.T) {
	t.Parallel()
	oldB64, newB64 := newKey(t), newKey(t)
	old := newKeyring(t, oldB64)
	oldID, ct, err := old.Seal([]byte("s"), nil)
	if err != nil {
		t.Fatalf("Seal() error = %v", err)
	}
	ring := newKeyring(t, newB64+", "+oldB64)
	if got, err := ring.Open(oldID, ct, nil); err != nil || string(got) != "s" {
		t.Errorf("Open(old ciphertext) = %q, %v, want \"s\", nil", got, err)
	}
	newID, _, err := ring.Seal([]byte("s"), nil)
	if err != nil {
		t.Fatalf("Seal() error = %v", err)
	}
	if diff := cmp.Diff([]string{newID, oldID}, ring.KeyIDs()); diff != "" || newID == oldID {
		t.Errorf("KeyIDs() mismatch, or Seal() did not use the newest key (-want +got):\n%s", diff)
	}
}

func TestParseKeyringEncodings(t *testing.T) {
	t.Parallel()
	raw := bytes.Repeat([]byte{0xfb, 0xff, 0x3e}, 11)[:32] // has '+', '/' or '-', '_' when encoded
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		s := enc.EncodeToString(raw)
		k, err := store.ParseKeyring(" " + s + " ")
		if err != nil {
			t.Errorf("ParseKeyring(%q) error = %v", s, err)
			continue
		}
		if got, want := k.NewestKeyID(), store.KeyID(raw); got != want {
			t.Errorf("ParseKeyring(%q) key ID = %q, want %q", s, got, want)
		}
	}
}

func TestParseKeyringErrors(t *testing.T) {
	t.Parallel()
	good := newKey(t)
	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	bad := "Zm9vYmFyYmF6cXV4!!c2VjcmV0LW1hdGVyaWFsLWhlcmU="
	tests := []struct {
		name    string
		in      string
		wantMsg string
	}{
		{name: "empty", in: "", wantMsg: "no keys"},
		{name: "blank", in: "  ", wantMsg: "no keys"},
		{name: "empty entry", in: good + ",,", wantMsg: "key 2 is empty"},
		{name: "bad base64", in: bad, wantMsg: "key 1 is not valid base64"},
		{name: "bad second key", in: good + "," + bad, wantMsg: "key 2 is not valid base64"},
		{name: "wrong length", in: short, wantMsg: "key 1 decodes to 16 bytes, want 32"},
		{name: "repeated key", in: good + "," + good, wantMsg: "key 2 repeats key 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := store.ParseKeyring(tt.in)
			if err == nil {
				t.Fatalf("ParseKeyring(%s) error = nil, want %q", tt.name, tt.wantMsg)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("ParseKeyring(%s) error = %q, want it to contain %q", tt.name, msg, tt.wantMsg)
			}
			for _, part := range strings.Split(tt.in, ",") {
				// Any 8-character run of the input would be a leak.
				for i := 0; i+8 <= len(part); i++ {
					if strings.Contains(msg, part[i:i+8]) {
						t.Fatalf("ParseKeyring(%s) error %q contains key material %q", tt.name, msg, part[i:i+8])
					}
				}
			}
		})
	}
}
