package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web"
)

// configFlags registers the flags that override DASHBOARD_* variables and
// returns a getenv that applies them.
func configFlags(fs *flag.FlagSet, getenv func(string) string) func(string) string {
	over := map[string]*string{}
	for _, f := range []struct{ flag, env, help string }{
		{"addr", "DASHBOARD_ADDR", "listen address (host:port)"},
		{"public-url", "DASHBOARD_PUBLIC_URL", "URL analysts use to reach the dashboard"},
		{"api-base-url", "DASHBOARD_API_BASE_URL", "Cloudflare API base URL"},
		{"database-url", "DASHBOARD_DATABASE_URL", "database URL (sqlite:PATH or postgres://USER:PASSWORD@HOST/DBNAME)"},
		{"data-dir", "DASHBOARD_DATA_DIR", "folder for the database and generated keys"},
		{"log-format", "DASHBOARD_LOG_FORMAT", "json or text"},
		{"metrics-addr", "DASHBOARD_METRICS_ADDR", "listen address of /metrics (host:port; off when empty); keep it private"},
	} {
		over[f.env] = fs.String(f.flag, "", f.help+" (overrides "+f.env+")")
	}
	return func(name string) string {
		if v, ok := over[name]; ok && *v != "" {
			return *v
		}
		return getenv(name)
	}
}

// newLogger builds the process logger: JSON in production, text for people.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// openStore opens the configured database (SQLite, or PostgreSQL for a
// postgres:// URL) with the credential keyring, generating the key file on
// first start.
func openStore(ctx context.Context, cfg web.Config, log *slog.Logger) (store.Store, error) {
	return openStoreKeys(ctx, cfg, log, true)
}

// openStoreKeys is openStore; with mayGenerate false a missing key file is
// an error, never a new key (keys rotate: a new key there would mean the
// wrong data folder, and every row would look unreadable).
func openStoreKeys(ctx context.Context, cfg web.Config, log *slog.Logger, mayGenerate bool) (store.Store, error) {
	generate := store.GenerateKey
	if !mayGenerate {
		generate = func() (string, error) {
			return "", errors.New("DASHBOARD_ENCRYPTION_KEYS: not set, and the data folder (DASHBOARD_DATA_DIR) has no encryption.keys: " +
				"give the keys the dashboard serves with, the new key first")
		}
	} else if store.IsPostgresURL(cfg.DatabaseURL) {
		// Replicas share the database, so they must share the keys: one
		// that made its own would seal credentials no other can open.
		generate = func() (string, error) {
			return "", errors.New("DASHBOARD_ENCRYPTION_KEYS: required with a PostgreSQL database, the same on every replica " +
				"(a key file in the data folder is read, but none is generated)")
		}
	}
	keys, created, err := web.KeyFile(cfg.EncryptionKey, cfg.DataDir, "encryption.keys", generate)
	if err != nil {
		return nil, err
	}
	if created {
		log.Warn("generated a new credential encryption key; back it up", "file", filepath.Join(cfg.DataDir, "encryption.keys"))
	}
	ring, err := store.ParseKeyring(keys)
	if err != nil {
		return nil, errWithVar("DASHBOARD_ENCRYPTION_KEYS", err)
	}
	if store.IsPostgresURL(cfg.DatabaseURL) {
		st, err := store.OpenPostgres(ctx, cfg.DatabaseURL, ring)
		if err != nil {
			// The store's errors never hold the URL's password.
			return nil, errWithVar("DASHBOARD_DATABASE_URL", err)
		}
		return st, nil
	}
	path := cfg.SQLitePath()
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	st, err := store.OpenSQLite(ctx, path, ring)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return st, nil
}

// errWithVar prefixes err with the variable it concerns.
func errWithVar(name string, err error) error {
	return &varError{name: name, err: err}
}

type varError struct {
	name string
	err  error
}

func (e *varError) Error() string { return e.name + ": " + strings.TrimSpace(e.err.Error()) }
func (e *varError) Unwrap() error { return e.err }
