package web

import (
	"strings"
	"testing"
	"time"
)

// DASHBOARD_REFRESH_INTERVAL: 5s by default, at least 1s, and one feed may
// use at most half of the read budget.
func TestRefreshInterval(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		interval, budget string
		want             time.Duration
		wantErr          string
	}{
		{"", "", 5 * time.Second, ""},
		{"1s", "", time.Second, ""},
		{"500ms", "", 0, "DASHBOARD_REFRESH_INTERVAL: 500ms must be at least 1s"},
		{"soon", "", 0, `DASHBOARD_REFRESH_INTERVAL: "soon" is not a positive duration`},
		{"5s", "60", 0, "at DASHBOARD_UPSTREAM_BUDGET=60 at least 12s"},
		{"12s", "60", 12 * time.Second, ""},
	} {
		env := map[string]string{"DASHBOARD_REFRESH_INTERVAL": tt.interval, "DASHBOARD_UPSTREAM_BUDGET": tt.budget}
		c, err := LoadConfig(func(k string) string { return env[k] })
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%q, budget %q: error %v, want %q", tt.interval, tt.budget, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || c.RefreshInterval != tt.want):
			t.Errorf("%q, budget %q: %s, %v; want %s", tt.interval, tt.budget, c.RefreshInterval, err, tt.want)
		}
	}
}
