package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"
)

// Password length limits, in characters (runes).
const (
	MinPasswordLen = 12
	MaxPasswordLen = 1024
)

// ValidatePassword checks a new password's length. The error matches
// ErrInvalid and its text can be shown to the user as is.
func ValidatePassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return invalid(fmt.Sprintf("password must be at least %d characters long", MinPasswordLen))
	}
	if n > MaxPasswordLen {
		return invalid(fmt.Sprintf("password must be at most %d characters long", MaxPasswordLen))
	}
	return nil
}

// Params are argon2id cost parameters. They are written into every hash
// (PHC format), so they can change without invalidating stored hashes.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8
	SaltLen uint32 // bytes; 0 means 16
	KeyLen  uint32 // bytes; 0 means 32
}

// DefaultParams returns the production parameters, one of the argon2id
// configurations OWASP's Password Storage Cheat Sheet recommends as equal in
// strength: m=12 MiB, t=3, p=1. Of them (m=47/t=1, 19/2, 12/3, 9/4, 7/5) it
// takes about the time of m=19 MiB, t=2 with a third less memory, which
// matters under a login burst: the heap goal doubles whatever the checks
// in progress hold when the collector runs (500 logins in 10 s peaked at
// 161 MiB with m=19 MiB).
// Hashes made with other parameters (the earlier m=19 MiB, t=2, p=1 and
// m=64 MiB, t=3, p=2) keep
// verifying: every hash carries its own.
func DefaultParams() Params {
	return Params{Memory: 12 * 1024, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// hashingMemory bounds the memory of all password checks running at once in
// one Hasher, in KiB: two checks at DefaultParams. A burst of logins queues
// for it instead of growing the process by tens of MiB per login; a hash that
// needs more than the whole pool (an old m=64 MiB one) runs alone.
const hashingMemory = 2 * 12 * 1024

// TestParams returns parameters that hash in well under a millisecond.
// They are far too weak for real passwords: use them only in tests.
func TestParams() Params {
	return Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Upper bounds accepted when parsing a stored hash, so that a corrupt or
// hostile row cannot make one login allocate gigabytes.
const (
	maxMemory = 1 << 20 // KiB, 1 GiB
	maxTime   = 64
	maxKeyLen = 128
)

// check fills defaults and rejects parameters argon2 cannot use.
func (p Params) check() (Params, error) {
	if p.SaltLen == 0 {
		p.SaltLen = 16
	}
	if p.KeyLen == 0 {
		p.KeyLen = 32
	}
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return p, fmt.Errorf("argon2id time %d is outside 1..%d", p.Time, maxTime)
	case p.Threads < 1:
		return p, errors.New("argon2id threads must be at least 1")
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return p, fmt.Errorf("argon2id memory %d KiB is outside %d..%d", p.Memory, 8*uint32(p.Threads), maxMemory)
	case p.SaltLen < 8 || p.SaltLen > 64:
		return p, fmt.Errorf("argon2id salt length %d is outside 8..64", p.SaltLen)
	case p.KeyLen < 16 || p.KeyLen > maxKeyLen:
		return p, fmt.Errorf("argon2id key length %d is outside 16..%d", p.KeyLen, maxKeyLen)
	}
	return p, nil
}

// Hasher hashes and verifies passwords with fixed argon2id parameters.
// Build one with NewHasher(TestParams()) in tests to make hashing cheap.
// Its checks share a memory pool (hashingMemory), so concurrent logins
// cannot exhaust memory.
type Hasher struct {
	p   Params
	mem *pool // KiB of argon2 memory in use

	onAcquire, onRelease func(kib int64) // test hooks
}

// pool is a memory budget in KiB.
type pool struct {
	sem  *semaphore.Weighted
	size int64
}

func newPool(kib int64) *pool { return &pool{sem: semaphore.NewWeighted(kib), size: kib} }

// NewHasher returns a Hasher that hashes with p.
func NewHasher(p Params) (*Hasher, error) {
	p, err := p.check()
	if err != nil {
		return nil, fmt.Errorf("new hasher: %w", err)
	}
	return &Hasher{p: p, mem: newPool(hashingMemory)}, nil
}

// defaultHasher backs the package-level functions.
var defaultHasher = &Hasher{p: DefaultParams(), mem: newPool(hashingMemory)}

// idKey is argon2.IDKey within the Hasher's memory pool.
func (h *Hasher) idKey(pw, salt []byte, p Params) []byte {
	need := min(int64(p.Memory), h.mem.size)
	_ = h.mem.sem.Acquire(context.Background(), need) // never fails without a deadline
	defer h.mem.sem.Release(need)
	if h.onAcquire != nil {
		h.onAcquire(need)
		defer h.onRelease(need)
	}
	return argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// HashPassword hashes pw with DefaultParams. See Hasher.Hash.
func HashPassword(pw string) (string, error) { return defaultHasher.Hash(pw) }

// VerifyPassword reports whether pw matches encoded, using the parameters
// recorded in encoded. See Hasher.Verify.
func VerifyPassword(encoded, pw string) (bool, error) { return defaultHasher.Verify(encoded, pw) }

// DummyVerify spends as long as verifying a DefaultParams hash. See
// Hasher.DummyVerify.
func DummyVerify(pw string) { defaultHasher.DummyVerify(pw) }

// Hash validates pw with ValidatePassword and returns its argon2id hash in
// PHC format: $argon2id$v=19$m=12288,t=3,p=1$<salt>$<hash>.
func (h *Hasher) Hash(pw string) (string, error) {
	if err := ValidatePassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, h.p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	key := h.idKey([]byte(pw), salt, h.p)
	return encodeHash(h.p, salt, key), nil
}

// Verify reports whether pw matches encoded, comparing in constant time.
// The parameters come from encoded, not from h. A malformed hash is an
// error, a wrong password is (false, nil).
func (h *Hasher) Verify(encoded, pw string) (bool, error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, fmt.Errorf("verify password: %w", err)
	}
	got := h.idKey([]byte(pw), salt, p)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// DummyVerify does the work of verifying a hash made by h and discards the
// result. Call it when a login names an unknown email, so the answer takes
// as long as for a known one.
func (h *Hasher) DummyVerify(pw string) {
	salt := make([]byte, h.p.SaltLen)
	got := h.idKey([]byte(pw), salt, h.p)
	subtle.ConstantTimeCompare(got, salt)
}

// NeedsRehash reports whether encoded was made with parameters other than
// h's (or cannot be parsed), so the caller can store a fresh hash after a
// successful login.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return true
	}
	return p.Memory != h.p.Memory || p.Time != h.p.Time || p.Threads != h.p.Threads ||
		uint32(len(salt)) != h.p.SaltLen || uint32(len(key)) != h.p.KeyLen
}

// b64 is the PHC string format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

func encodeHash(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decodeHash parses a PHC argon2id string. Its errors never quote the hash.
func decodeHash(encoded string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, errors.New("hash is not in PHC format")
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, errors.New("hash is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, errors.New("unsupported argon2 version")
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, nil, nil, errors.New("hash parameters are malformed")
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(kv[i], name+"=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return p, nil, nil, errors.New("hash parameters are malformed")
		}
		vals[i] = n
	}
	if vals[2] > 255 {
		return p, nil, nil, errors.New("hash parallelism is out of range")
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, errors.New("hash salt is not base64")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil {
		return p, nil, nil, errors.New("hash value is not base64")
	}
	if len(salt) == 0 || len(key) == 0 {
		return p, nil, nil, errors.New("hash salt or value is empty")
	}
	p = Params{Memory: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2]),
		SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if _, err := p.check(); err != nil {
		return p, nil, nil, fmt.Errorf("hash parameters are unsupported: %w", err)
	}
	return p, salt, key, nil
}
