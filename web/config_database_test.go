package web

import (
	"strings"
	"testing"
)

func TestDatabaseURL(t *testing.T) {
	tests := []struct {
		url        string
		ok         bool
		sqlitePath string
	}{
		{url: "sqlite:/var/lib/dashboard/dashboard.db", ok: true, sqlitePath: "/var/lib/dashboard/dashboard.db"},
		{url: "postgres://dash:secretpw@db.internal:5432/dashboard?sslmode=verify-full", ok: true},
		{url: "postgresql://dash@db.internal/dashboard", ok: true},
		{url: "mysql://dash:secretpw@db/x"},
		{url: "postgres:dashboard"},
		{url: "/var/lib/dashboard.db"},
	}
	for _, tt := range tests {
		env := map[string]string{"DASHBOARD_DATABASE_URL": tt.url}
		c, err := LoadConfig(func(k string) string { return env[k] })
		if tt.ok {
			if err != nil {
				t.Errorf("LoadConfig(%s) error = %v, want it accepted", tt.url, err)
			} else if got := c.SQLitePath(); got != tt.sqlitePath {
				t.Errorf("LoadConfig(%s).SQLitePath() = %q, want %q", tt.url, got, tt.sqlitePath)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "DASHBOARD_DATABASE_URL") {
			t.Errorf("LoadConfig(%s) error = %v, want one naming DASHBOARD_DATABASE_URL", tt.url, err)
		}
		if err != nil && strings.Contains(err.Error(), "secretpw") {
			t.Errorf("LoadConfig(%s) error shows the password: %v", tt.url, err)
		}
	}
}
