package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/store/storetest"
	"github.com/respond/bulkjobs/web"
	"github.com/respond/bulkjobs/web/metrics"
)

// On PostgreSQL the refresher shares its feeds with the other replicas:
// its first feed takes the lease and leads; on SQLite it reads alone.
func TestRefresherSharesFeedsOnPostgres(t *testing.T) {
	for _, tc := range []struct {
		name, role string
		vars       map[string]string
	}{
		{"sqlite", "solo", map[string]string{}},
		{"postgres", "leader", map[string]string{"DASHBOARD_DATABASE_URL": storetest.PostgresURL(t), "DASHBOARD_ENCRYPTION_KEYS": storetest.NewKey(t)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.vars["DASHBOARD_DATA_DIR"] = t.TempDir()
			tc.vars["DASHBOARD_API_BASE_URL"] = "http://127.0.0.1:1/client/v4" // nothing answers: the read fails, the lease is taken anyway
			cfg, err := web.LoadConfig(func(k string) string { return tc.vars[k] })
			if err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			st, err := openStore(context.Background(), cfg, log)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			m, err := metrics.New(prometheus.NewRegistry(), metrics.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, live, err := newHandler(cfg, st, log, m)
			if err != nil {
				t.Fatal(err)
			}
			defer live.Close()
			live.Watch(context.Background(), apiclient.Credential{APIToken: "a-token-of-the-test"}, "0123456789abcdef0123456789abcdef")
			if stats := live.FeedStats(); len(stats) != 1 || stats[0].Role != tc.role {
				t.Errorf("feeds = %+v, want one %s", stats, tc.role)
			}
		})
	}
}
