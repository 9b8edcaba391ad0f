package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The variables that point the PostgreSQL tests at a server.
const (
	// PostgresURLVar holds a postgres:// URL of a server where the tests
	// may create and drop databases (bash .ci/postgres.sh start starts one;
	// eval "$(bash .ci/postgres.sh env)" sets this).
	PostgresURLVar = "STORE_POSTGRES_URL"
	// RequirePostgresVar set to 1 (as .ci/run does) makes a missing
	// PostgresURLVar a failure instead of a skip.
	RequirePostgresVar = "STORE_REQUIRE_POSTGRES"
)

var (
	adminOnce sync.Once
	adminPool *pgxpool.Pool
	adminErr  error
)

// admin returns one pool on the server's own database for the whole test
// binary; it lives as long as the process.
func admin(serverURL string) (*pgxpool.Pool, error) {
	adminOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		adminPool, adminErr = pgxpool.New(ctx, serverURL)
		if adminErr == nil {
			adminErr = adminPool.Ping(ctx)
		}
	})
	return adminPool, adminErr
}

// PostgresURL creates a new, empty database for the test on the server at
// STORE_POSTGRES_URL, drops it when the test ends (after the stores opened
// on it are closed), and returns its URL. Without the variable the test is
// skipped, or fails when STORE_REQUIRE_POSTGRES=1. The database sorts text
// as ICU's en-US where the server has ICU, so that a query that relies on
// the default collation instead of byte order shows up.
func PostgresURL(t testing.TB) string {
	t.Helper()
	server, pool := postgresServer(t)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "storetest_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pool.Exec(ctx, `CREATE DATABASE `+name+` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`); err != nil {
		if _, err := pool.Exec(ctx, `CREATE DATABASE `+name); err != nil {
			t.Fatalf("create database %s: %v", name, err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := pool.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	server.Path = "/" + name
	return server.String()
}

// RequirePostgres skips the test, or fails it when STORE_REQUIRE_POSTGRES=1,
// unless STORE_POSTGRES_URL names a server that answers.
func RequirePostgres(t testing.TB) {
	t.Helper()
	postgresServer(t)
}

// postgresServer returns the server's URL and the admin pool on it, or
// skips or fails the test.
func postgresServer(t testing.TB) (*url.URL, *pgxpool.Pool) {
	t.Helper()
	server := os.Getenv(PostgresURLVar)
	if server == "" {
		if os.Getenv(RequirePostgresVar) == "1" {
			t.Fatalf("%s is not set and %s=1: start a server with bash .ci/postgres.sh start and eval \"$(bash .ci/postgres.sh env)\"",
				PostgresURLVar, RequirePostgresVar)
		}
		t.Skipf("PostgreSQL tests skipped: %s is not set (bash .ci/postgres.sh start; eval \"$(bash .ci/postgres.sh env)\")", PostgresURLVar)
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s is not a postgres:// URL", PostgresURLVar) // never print it: it may hold a password
	}
	pool, err := admin(server)
	if err != nil {
		t.Fatalf("connect to the server at %s: %v", PostgresURLVar, err)
	}
	return u, pool
}
