package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/store/storetest"
)

// TestPostgresPeerKeyrings: each store on a database sees the keyrings of
// the other stores' connections (key IDs, newest first), never its own,
// and a ring too long for a connection name is marked partial.
func TestPostgresPeerKeyrings(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	open := func(keys string) *store.Postgres {
		s, err := store.OpenPostgres(ctx, url, newKeyring(t, keys))
		if err != nil {
			t.Fatalf("OpenPostgres() error = %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if err := s.Ping(ctx); err != nil { // hold a connection, as a serving replica does
			t.Fatal(err)
		}
		return s
	}
	oldKey, nextKey := newKey(t), newKey(t)
	var six []string
	for range 6 {
		six = append(six, newKey(t))
	}
	rolled, lagging, long := open(nextKey+","+oldKey), open(oldKey), open(strings.Join(six, ","))

	peers, ok, err := rolled.PeerKeyrings(ctx)
	if err != nil || !ok {
		t.Fatalf("PeerKeyrings() = %v, %v, %v", peers, ok, err)
	}
	want := map[string]store.PeerKeyring{
		"lagging": {KeyIDs: lagging.Keyring().KeyIDs()},
		"long":    {KeyIDs: long.Keyring().KeyIDs()[:5], Partial: true},
	}
	seen := map[string]int{}
	for _, p := range peers {
		name := ""
		for n, w := range want {
			if slices.Equal(p.KeyIDs, w.KeyIDs) && p.Partial == w.Partial {
				name = n
			}
		}
		if name == "" {
			t.Errorf("unexpected peer %+v (own keys %v)", p, rolled.Keyring().KeyIDs())
			continue
		}
		if p.PID == 0 || p.Addr != "127.0.0.1" {
			t.Errorf("peer %s: pid %d, addr %q; want a pid and 127.0.0.1", name, p.PID, p.Addr)
		}
		seen[name]++
	}
	for n := range want {
		if seen[n] == 0 {
			t.Errorf("peer %s not seen in %+v", n, peers)
		}
	}
}
