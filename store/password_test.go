package store_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/store"
)

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pw      string
		wantMsg string // "" means valid
	}{
		{name: "empty", pw: "", wantMsg: "password must be at least 12 characters long"},
		{name: "eleven", pw: "elevenchars", wantMsg: "at least 12"},
		{name: "twelve", pw: "twelve chars"},
		{name: "eleven runes, more bytes", pw: strings.Repeat("é", 11), wantMsg: "at least 12"},
		{name: "twelve runes", pw: strings.Repeat("é", 12)},
		{name: "longest", pw: strings.Repeat("a", store.MaxPasswordLen)},
		{name: "too long", pw: strings.Repeat("a", store.MaxPasswordLen+1), wantMsg: "at most 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := store.ValidatePassword(tt.pw)
			switch {
			case tt.wantMsg == "" && err != nil:
				t.Errorf("ValidatePassword() error = %v, want nil", err)
			case tt.wantMsg != "" && (!errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), tt.wantMsg)):
				t.Errorf("ValidatePassword() error = %v, want ErrInvalid saying %q", err, tt.wantMsg)
			}
		})
	}
}

func TestHashPasswordDefaultFormat(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery staple"
	hash, err := store.HashPassword(pw)
	if err != nil {
		t.Fatalf("HashPassword() error = %v", err)
	}
	const prefix = "$argon2id$v=19$m=12288,t=3,p=1$" // one of OWASP's recommended argon2id configurations
	if !strings.HasPrefix(hash, prefix) || strings.Count(hash, "$") != 5 {
		t.Errorf("HashPassword() = %q, want PHC format starting %q", hash, prefix)
	}
	if ok, err := store.VerifyPassword(hash, pw); !ok || err != nil {
		t.Errorf("VerifyPassword(right) = %v, %v, want true, nil", ok, err)
	}
	if _, err := store.HashPassword("short"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("HashPassword(short) error = %v, want ErrInvalid", err)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	cheap := testHasher(t)
	other, err := store.NewHasher(store.Params{Memory: 128, Time: 2, Threads: 2, SaltLen: 8, KeyLen: 16})
	if err != nil {
		t.Fatalf("NewHasher() error = %v", err)
	}
	const pw = "correct horse battery"
	hash, err := cheap.Hash(pw)
	if err != nil {
		t.Fatalf("Hash() error = %v", err)
	}
	again, _ := cheap.Hash(pw)
	if hash == again {
		t.Errorf("Hash() twice gave the same string; the salt is not random")
	}
	tests := []struct {
		name   string
		hasher *store.Hasher
		pw     string
		want   bool
	}{
		{name: "right", hasher: cheap, pw: pw, want: true},
		{name: "wrong", hasher: cheap, pw: pw + "x", want: false},
		{name: "prefix", hasher: cheap, pw: pw[:len(pw)-1], want: false},
		{name: "params come from the hash", hasher: other, pw: pw, want: true},
		{name: "package-level verify", hasher: nil, pw: pw, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			verify := store.VerifyPassword
			if tt.hasher != nil {
				verify = tt.hasher.Verify
			}
			got, err := verify(hash, tt.pw)
			if err != nil || got != tt.want {
				t.Errorf("Verify() = %v, %v, want %v, nil", got, err, tt.want)
			}
		})
	}
	if !other.NeedsRehash(hash) || cheap.NeedsRehash(hash) {
		t.Errorf("NeedsRehash() = %v (other), %v (same), want true, false", other.NeedsRehash(hash), cheap.NeedsRehash(hash))
	}
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	h := testHasher(t)
	const salt, key = "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	tests := []struct {
		name string
		hash string
	}{
		{name: "empty", hash: ""},
		{name: "bcrypt", hash: "$2a$10$abcdefghijklmnopqrstuuVd4lQ0VQeB4zTgNwI1lOSF2bF4hGq2"},
		{name: "argon2i", hash: "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{name: "old version", hash: "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{name: "zero time", hash: "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{name: "zero threads", hash: "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{name: "huge memory", hash: "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key},
		{name: "params out of order", hash: "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{name: "salt not base64", hash: "$argon2id$v=19$m=64,t=1,p=1$!!!$" + key},
		{name: "empty hash value", hash: "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
		{name: "extra field", hash: "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := h.Verify(tt.hash, "correct horse battery")
			if err == nil || ok {
				t.Fatalf("Verify() = %v, %v, want false and an error", ok, err)
			}
			if tt.hash != "" && strings.Contains(err.Error(), tt.hash) {
				t.Errorf("Verify() error %q quotes the hash", err)
			}
		})
	}
}

func TestNewHasherRejects(t *testing.T) {
	t.Parallel()
	for _, p := range []store.Params{
		{},
		{Memory: 64, Time: 0, Threads: 1},
		{Memory: 64, Time: 1, Threads: 0},
		{Memory: 4, Time: 1, Threads: 1},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4},
	} {
		if _, err := store.NewHasher(p); err == nil {
			t.Errorf("NewHasher(%+v) error = nil, want an error", p)
		}
	}
}

// TestDummyVerify checks that DummyVerify does the same argon2 work as a
// real verification, measured in bytes allocated. It is not parallel so
// that no other test's allocations are counted.
func TestDummyVerify(t *testing.T) {
	h, err := store.NewHasher(store.Params{Memory: 4096, Time: 1, Threads: 1})
	if err != nil {
		t.Fatalf("NewHasher() error = %v", err)
	}
	hash, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatalf("Hash() error = %v", err)
	}
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	verified := allocated(func() { _, _ = h.Verify(hash, "wrong password here") })
	dummy := allocated(func() { h.DummyVerify("wrong password here") })
	if verified < 4096*1024 || dummy < verified*9/10 {
		t.Errorf("DummyVerify() allocated %d bytes, Verify() %d, want about the same and at least 4 MiB", dummy, verified)
	}
}

// Hashes made by the release before (m=19 MiB, t=2, p=1) verify with the
// new defaults and are due for a rehash.
func TestVerifyPreviousDefaultHash(t *testing.T) {
	t.Parallel()
	const old = "$argon2id$v=19$m=19456,t=2,p=1$5pa8VacFmyx1hoyjSYaYBg$1W+sx9oHvNxCnCNW4DpdGHk7O7+Xc9JRUg0ldE+nfEc"
	ok, err := store.VerifyPassword(old, "correct horse battery")
	if err != nil || !ok {
		t.Fatalf("VerifyPassword(previous default) = %v, %v; want true", ok, err)
	}
	if ok, _ := store.VerifyPassword(old, "correct horse batterY"); ok {
		t.Fatal("a wrong password verified")
	}
}
