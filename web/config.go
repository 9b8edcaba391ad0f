// Package web assembles the dashboard: configuration, Echo, middleware order,
// one route table and the central error handler. Business logic lives in
// handlers.
package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/respond/bulkjobs/handlers"
	"github.com/respond/bulkjobs/store"
)

// Config is the dashboard's configuration. LoadConfig reads it from the
// environment; every default lives there.
type Config struct {
	Addr            string        // DASHBOARD_ADDR
	PublicURL       *url.URL      // DASHBOARD_PUBLIC_URL
	APIBaseURL      string        // DASHBOARD_API_BASE_URL
	DatabaseURL     string        // DASHBOARD_DATABASE_URL
	DataDir         string        // DASHBOARD_DATA_DIR
	SessionKeys     string        // DASHBOARD_SESSION_KEYS (secret; never logged)
	EncryptionKey   string        // DASHBOARD_ENCRYPTION_KEYS (secret; never logged)
	LogFormat       string        // DASHBOARD_LOG_FORMAT: json or text
	SessionIdle     time.Duration // DASHBOARD_SESSION_IDLE
	SessionMax      time.Duration // DASHBOARD_SESSION_MAX
	UpstreamTimeout time.Duration // DASHBOARD_UPSTREAM_TIMEOUT
	UpstreamBudget  int           // DASHBOARD_UPSTREAM_BUDGET
	// RefreshInterval is how often a watched account is read, once for
	// every tab of a credential (DASHBOARD_REFRESH_INTERVAL).
	RefreshInterval time.Duration
	// ShutdownTimeout is how long in-flight requests may finish after
	// SIGTERM (DASHBOARD_SHUTDOWN_TIMEOUT); it must be longer than the
	// longest cancel, so a deploy never cuts a cancel off before its
	// outcome is recorded.
	ShutdownTimeout time.Duration
	// ShutdownDelay is how long /readyz answers 503 while the server still
	// serves, before it stops accepting (DASHBOARD_SHUTDOWN_DELAY), so a
	// load balancer stops sending first.
	ShutdownDelay  time.Duration
	TrustedProxies []netip.Prefix // DASHBOARD_TRUSTED_PROXIES
	// MetricsAddr is where /metrics is served, by a listener of its own
	// (DASHBOARD_METRICS_ADDR); empty, the default, serves no metrics.
	MetricsAddr string
}

// Defaults.
const (
	DefaultAddr       = "127.0.0.1:8080"
	DefaultAPIBaseURL = "https://api.cloudflare.com/client/v4"
	DefaultDataDir    = "./data"
)

// LoadConfig reads the configuration from getenv and validates it. An error
// names the variable at fault and never contains a secret.
func LoadConfig(getenv func(string) string) (Config, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	dur := func(name string, def time.Duration) time.Duration {
		v := env(name, "")
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 30m", name, v))
			return def
		}
		return d
	}
	c := Config{
		Addr:            env("DASHBOARD_ADDR", DefaultAddr),
		APIBaseURL:      env("DASHBOARD_API_BASE_URL", DefaultAPIBaseURL),
		DataDir:         env("DASHBOARD_DATA_DIR", DefaultDataDir),
		SessionKeys:     getenv("DASHBOARD_SESSION_KEYS"),
		EncryptionKey:   getenv("DASHBOARD_ENCRYPTION_KEYS"),
		LogFormat:       env("DASHBOARD_LOG_FORMAT", "json"),
		SessionIdle:     dur("DASHBOARD_SESSION_IDLE", 30*time.Minute),
		SessionMax:      dur("DASHBOARD_SESSION_MAX", 12*time.Hour),
		UpstreamTimeout: dur("DASHBOARD_UPSTREAM_TIMEOUT", 15*time.Second),
	}
	longestCancel := handlers.CancelBudget(c.UpstreamTimeout)
	c.ShutdownTimeout = dur("DASHBOARD_SHUTDOWN_TIMEOUT", longestCancel+10*time.Second)
	if c.ShutdownTimeout <= longestCancel {
		errs = append(errs, fmt.Errorf("DASHBOARD_SHUTDOWN_TIMEOUT: %s must be longer than the longest cancel (%s: DASHBOARD_UPSTREAM_TIMEOUT plus a 5s read-back)",
			c.ShutdownTimeout, longestCancel))
	}
	c.ShutdownDelay = 5 * time.Second
	if v := env("DASHBOARD_SHUTDOWN_DELAY", ""); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("DASHBOARD_SHUTDOWN_DELAY: %q is not a duration such as 5s (0s for none)", v))
		} else {
			c.ShutdownDelay = d
		}
	}
	c.UpstreamBudget = 1200
	if v := env("DASHBOARD_UPSTREAM_BUDGET", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 60 || n > 1200 {
			errs = append(errs, fmt.Errorf("DASHBOARD_UPSTREAM_BUDGET: %q must be a number of requests per 5 minutes from 60 to 1200", v))
		} else {
			c.UpstreamBudget = n
		}
	}
	c.RefreshInterval = dur("DASHBOARD_REFRESH_INTERVAL", 5*time.Second)
	// One feed must leave most of a credential's read budget (the budget
	// less the cancels' headroom, as guard.Options computes it) to page
	// loads and to running jobs beyond the feed's page.
	readBudget := c.UpstreamBudget - min(200, c.UpstreamBudget/6)
	if c.RefreshInterval < time.Second || int(5*time.Minute/c.RefreshInterval) > readBudget/2 {
		errs = append(errs, fmt.Errorf("DASHBOARD_REFRESH_INTERVAL: %s must be at least 1s and leave half of the read budget free: at DASHBOARD_UPSTREAM_BUDGET=%d at least %s",
			c.RefreshInterval, c.UpstreamBudget, max(time.Second, (5*time.Minute/time.Duration(max(readBudget/2, 1))).Round(time.Second))))
	}
	c.DatabaseURL = env("DASHBOARD_DATABASE_URL", "sqlite:"+strings.TrimRight(c.DataDir, "/")+"/dashboard.db")

	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("DASHBOARD_ADDR: %q is not host:port", c.Addr))
	}
	if c.MetricsAddr = env("DASHBOARD_METRICS_ADDR", ""); c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("DASHBOARD_METRICS_ADDR: %q is not host:port", c.MetricsAddr))
		} else if c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
			errs = append(errs, errors.New("DASHBOARD_METRICS_ADDR: must differ from DASHBOARD_ADDR: the metrics have a listener of their own"))
		}
	}
	public := env("DASHBOARD_PUBLIC_URL", "http://"+c.Addr)
	if u, err := url.Parse(public); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		errs = append(errs, fmt.Errorf("DASHBOARD_PUBLIC_URL: %q is not an absolute http or https url", public))
	} else {
		u.Path = strings.TrimRight(u.Path, "/")
		c.PublicURL = u
	}
	if u, err := url.Parse(c.APIBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		errs = append(errs, fmt.Errorf("DASHBOARD_API_BASE_URL: %q is not an absolute http or https url", c.APIBaseURL))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("DASHBOARD_LOG_FORMAT: %q must be json or text", c.LogFormat))
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !store.IsPostgresURL(c.DatabaseURL) {
		errs = append(errs, fmt.Errorf("DASHBOARD_DATABASE_URL: %q is not supported; use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DBNAME",
			redactURL(c.DatabaseURL)))
	}
	if c.SessionMax < c.SessionIdle {
		errs = append(errs, errors.New("DASHBOARD_SESSION_MAX: must not be shorter than DASHBOARD_SESSION_IDLE"))
	}
	if c.SessionKeys != "" {
		if _, err := ParseSessionKeys(c.SessionKeys); err != nil {
			errs = append(errs, fmt.Errorf("DASHBOARD_SESSION_KEYS: %w", err))
		}
	}
	for _, p := range strings.Split(env("DASHBOARD_TRUSTED_PROXIES", ""), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			if a, aerr := netip.ParseAddr(p); aerr == nil {
				prefix, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("DASHBOARD_TRUSTED_PROXIES: %q is not an address or CIDR", p))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix)
	}
	return c, errors.Join(errs...)
}

// Secure reports whether the dashboard is served over TLS (cookies get Secure).
func (c Config) Secure() bool { return c.PublicURL != nil && c.PublicURL.Scheme == "https" }

// SQLitePath returns the file path of a sqlite: database URL, or "" for a
// PostgreSQL one.
func (c Config) SQLitePath() string {
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		return ""
	}
	return strings.TrimPrefix(c.DatabaseURL, "sqlite:")
}

// redactURL drops the userinfo of a database URL before it is shown.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("redacted")
	return u.String()
}

// ParseSessionKeys reads a comma-separated list of base64 session keys, newest
// first. Each decodes to 64 bytes: the first 32 authenticate, the last 32
// encrypt. Errors never include key material.
func ParseSessionKeys(s string) ([]handlers.KeyPair, error) {
	var pairs []handlers.KeyPair
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(part)
		if err != nil {
			raw, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(part, "="))
		}
		if err != nil {
			return nil, fmt.Errorf("key %d is not base64", i+1)
		}
		if len(raw) != 64 {
			return nil, fmt.Errorf("key %d decodes to %d bytes, want 64", i+1, len(raw))
		}
		pairs = append(pairs, handlers.KeyPair{Hash: raw[:32], Block: raw[32:]})
	}
	if len(pairs) == 0 {
		return nil, errors.New("no key given")
	}
	return pairs, nil
}
