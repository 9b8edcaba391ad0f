// Package storetest is the behavioural test suite that every store.Store
// backend passes, in the manner of database/sql driver conformance tests,
// plus helpers to get a database for it:
//
//	func TestSQLiteSuite(t *testing.T) { storetest.Run(t, sqliteOpener) }
//
// Run calls fresh once per test for a new, empty database and opens stores
// on it through the Opener it returns: once for most tests, several times
// for the ones that reopen a database with another keyring or act as
// several replicas sharing it. What only one backend has (SQLite's file
// modes, raw tampering with rows) is tested beside that backend, not here.
package storetest

import (
	"context"
	"testing"

	"github.com/respond/bulkjobs/store"
)

// Opener opens a new Store on one database with keys, as another process
// would; a store it returns is closed when the test ends. It may be called
// from several goroutines at once.
type Opener func(t *testing.T, keys *store.Keyring) (store.Store, error)

// mustOpen opens a store or fails the test.
func mustOpen(t *testing.T, open Opener, keys *store.Keyring) store.Store {
	t.Helper()
	s, err := open(t, keys)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return s
}

// test is one test of the suite.
type test struct {
	name string
	run  func(t *testing.T, fresh func(t *testing.T) Opener)
}

// suite lists every test; each file of the package adds its own.
var suite []test

// register adds tests to the suite, from each file's init.
func register(tests ...test) { suite = append(suite, tests...) }

// Run runs the whole suite, each test in parallel on its own database.
func Run(t *testing.T, fresh func(t *testing.T) Opener) {
	t.Helper()
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, fresh)
		})
	}
}

// newStore opens a store with one new key on a fresh database.
func newStore(t *testing.T, fresh func(t *testing.T) Opener) store.Store {
	t.Helper()
	return mustOpen(t, fresh(t), Keyring(t, NewKey(t)))
}

// NewKey returns a fresh base64 sealing key.
func NewKey(t testing.TB) string {
	t.Helper()
	k, err := store.GenerateKey()
	if err != nil {
		t.Fatalf("GenerateKey() error = %v", err)
	}
	return k
}

// Keyring parses comma-separated base64 keys, newest first.
func Keyring(t testing.TB, keys string) *store.Keyring {
	t.Helper()
	k, err := store.ParseKeyring(keys)
	if err != nil {
		t.Fatalf("ParseKeyring() error = %v", err)
	}
	return k
}

// Password is the password of every user CreateUser makes.
const Password = "correct horse battery"

// Hasher returns a cheap password hasher, for tests.
func Hasher(t testing.TB) *store.Hasher {
	t.Helper()
	h, err := store.NewHasher(store.TestParams())
	if err != nil {
		t.Fatalf("NewHasher() error = %v", err)
	}
	return h
}

// CreateUser adds a user whose password is Password, hashed cheaply.
func CreateUser(t testing.TB, s store.Store, email string, role store.Role) store.User {
	t.Helper()
	hash, err := Hasher(t).Hash(Password)
	if err != nil {
		t.Fatalf("Hash() error = %v", err)
	}
	u, err := s.CreateUser(context.Background(), email, role, hash)
	if err != nil {
		t.Fatalf("CreateUser(%q) error = %v", email, err)
	}
	return u
}

// Test accounts and a token.
const (
	AccountA = "0123456789abcdef0123456789abcdef"
	AccountB = "fedcba9876543210fedcba9876543210"
	TokenA   = "tokA-9c1f5e2d7b3a4e6f8a0b1c2d3e4fWXYZ"
)

// AddToken stores an API token credential and returns it.
func AddToken(t testing.TB, s store.Store, userID int64, label, account, token string) store.Credential {
	t.Helper()
	c, err := s.AddCredential(context.Background(), store.NewCredential{
		UserID: userID, Label: label, AccountID: account,
		Kind: store.CredentialAPIToken, Secret: store.Secret{Token: token},
	})
	if err != nil {
		t.Fatalf("AddCredential(%q) error = %v", label, err)
	}
	return c
}
