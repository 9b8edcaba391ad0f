package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/respond/bulkjobs/store"
)

// BenchmarkCredentialForAccount compares the database read with a cache hit,
// which still opens the sealed secret (AES-GCM) on every call.
func BenchmarkCredentialForAccount(b *testing.B) {
	ctx := context.Background()
	for _, cached := range []bool{false, true} {
		name := "sqlite"
		if cached {
			name = "cache-hit"
		}
		b.Run(name, func(b *testing.B) {
			raw, err := store.OpenSQLite(ctx, b.TempDir()+"/bench.db", mustKeyring(b))
			if err != nil {
				b.Fatal(err)
			}
			defer raw.Close()
			u, err := raw.CreateUser(ctx, "ana@example.com", store.RoleViewer, "$argon2id$bench")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := raw.AddCredential(ctx, store.NewCredential{UserID: u.ID, Label: "l", AccountID: cacheAccount,
				Kind: store.CredentialAPIToken, Secret: store.Secret{Token: cacheToken}}); err != nil {
				b.Fatal(err)
			}
			var s store.Store = raw
			if cached {
				s = store.NewCache(raw, store.CacheOptions{TTL: time.Hour, CheckEvery: time.Hour})
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, secret, err := s.CredentialForAccount(ctx, u.ID, cacheAccount); err != nil || secret.Token != cacheToken {
					b.Fatal(err)
				}
			}
		})
	}
}

func mustKeyring(b *testing.B) *store.Keyring {
	key, err := store.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	k, err := store.ParseKeyring(key)
	if err != nil {
		b.Fatal(err)
	}
	return k
}
