// Package fleettest holds the fleet test: three real dashboard processes on
// one PostgreSQL database behind a round-robin reverse proxy, with the
// Cloudflare simulator upstream. It has no code of its own outside its
// tests; run it with go test ./cmd/dashboard/fleettest/ (STORE_POSTGRES_URL
// set, see the README's Tests section).
package fleettest
