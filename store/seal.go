package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// KeySize is the length of a sealing key in bytes (AES-256).
const KeySize = 32

// nonceSize is the GCM standard nonce length.
const nonceSize = 12

// Keyring holds the AES-256-GCM keys that seal credential secrets, newest
// first. New secrets are sealed with the newest key; any key in the ring
// opens what it sealed, so old rows stay readable during a rotation.
//
// Every formatting and logging path prints a redacted summary, never keys.
type Keyring struct {
	keys []ringKey
}

// ringKey is one key, kept only as its ready AEAD.
type ringKey struct {
	id   string
	aead cipher.AEAD
}

// KeyID returns the identifier stored beside each ciphertext: the first 8
// hex characters of the key's SHA-256.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// NewKeyring builds a keyring from raw 32-byte keys, newest first.
func NewKeyring(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("new keyring: no keys")
	}
	k := &Keyring{}
	for i, key := range keys {
		if len(key) != KeySize {
			return nil, fmt.Errorf("new keyring: key %d is %d bytes, want %d", i+1, len(key), KeySize)
		}
		id := KeyID(key)
		for j, prev := range k.keys {
			if prev.id == id {
				return nil, fmt.Errorf("new keyring: key %d repeats key %d", i+1, j+1)
			}
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("new keyring: key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("new keyring: key %d: %w", i+1, err)
		}
		k.keys = append(k.keys, ringKey{id: id, aead: aead})
	}
	return k, nil
}

// ParseKeyring parses a comma-separated list of base64 keys (standard or
// URL alphabet, padded or not), newest first, each decoding to 32 bytes.
// Errors say which key (by position) is wrong and how, never its value.
func ParseKeyring(s string) (*Keyring, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("parse keyring: no keys given")
	}
	parts := strings.Split(s, ",")
	raw := make([][]byte, 0, len(parts))
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("parse keyring: key %d is empty", i+1)
		}
		key, ok := decodeKey(part)
		if !ok {
			return nil, fmt.Errorf("parse keyring: key %d is not valid base64", i+1)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("parse keyring: key %d decodes to %d bytes, want %d", i+1, len(key), KeySize)
		}
		raw = append(raw, key)
	}
	k, err := NewKeyring(raw...)
	if err != nil {
		return nil, fmt.Errorf("parse keyring: %w", err)
	}
	return k, nil
}

// decodeKey tries each base64 variant. It drops decoder errors because
// they can quote the input.
func decodeKey(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// GenerateKey returns a new random key, base64-encoded (standard alphabet),
// ready for ParseKeyring.
func GenerateKey() (string, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(key), nil
}

// KeyIDs returns the IDs of the keys, newest first.
func (k Keyring) KeyIDs() []string {
	ids := make([]string, len(k.keys))
	for i, key := range k.keys {
		ids[i] = key.id
	}
	return ids
}

// NewestKeyID returns the ID of the key Seal uses, or "" for an empty ring.
func (k Keyring) NewestKeyID() string {
	if len(k.keys) == 0 {
		return ""
	}
	return k.keys[0].id
}

// Seal encrypts plaintext with the newest key and a random nonce. The
// ciphertext is nonce || GCM output; aad must be given again to Open.
func (k Keyring) Seal(plaintext, aad []byte) (keyID string, ciphertext []byte, err error) {
	if len(k.keys) == 0 {
		return "", nil, errors.New("seal: keyring is empty")
	}
	key := k.keys[0]
	nonce := make([]byte, nonceSize, nonceSize+len(plaintext)+key.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("seal: read nonce: %w", err)
	}
	return key.id, key.aead.Seal(nonce, nonce, plaintext, aad), nil
}

// Open decrypts what Seal returned, with the key named by keyID. Every
// failure (unknown key, tampering, wrong aad) matches ErrSecretUnreadable.
func (k Keyring) Open(keyID string, ciphertext, aad []byte) ([]byte, error) {
	for _, key := range k.keys {
		if key.id != keyID {
			continue
		}
		if len(ciphertext) < nonceSize+key.aead.Overhead() {
			return nil, fmt.Errorf("ciphertext is truncated: %w", ErrSecretUnreadable)
		}
		pt, err := key.aead.Open(nil, ciphertext[:nonceSize], ciphertext[nonceSize:], aad)
		if err != nil {
			return nil, fmt.Errorf("ciphertext does not authenticate (tampered with, or copied from another row): %w", ErrSecretUnreadable)
		}
		return pt, nil
	}
	return nil, fmt.Errorf("key %q is not in the keyring: %w", keyID, ErrSecretUnreadable)
}

// String describes the keyring without its keys.
func (k Keyring) String() string {
	return fmt.Sprintf("Keyring(%d keys, newest %s, material %s)", len(k.keys), k.NewestKeyID(), redacted)
}

// GoString describes the keyring without its keys, for %#v.
func (k Keyring) GoString() string { return k.String() }

// Format prints the redacted description for every fmt verb.
func (k Keyring) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue keeps keys out of slog output.
func (k Keyring) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("keys", len(k.keys)), slog.String("newest", k.NewestKeyID()))
}

// MarshalJSON encodes the keyring as its redacted description.
func (k Keyring) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, "%q", k.String()), nil
}
