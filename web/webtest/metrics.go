package webtest

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// Sample is one line of a scrape: a series and its value.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// ParseMetrics reads Prometheus's text format, as Scrape returns it.
func ParseMetrics(t testing.TB, text string) []Sample {
	t.Helper()
	var out []Sample
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s := Sample{Labels: map[string]string{}}
		rest := line
		if i := strings.IndexAny(rest, "{ "); i >= 0 {
			s.Name, rest = rest[:i], rest[i:]
		}
		if strings.HasPrefix(rest, "{") {
			var ok bool
			if rest, ok = parseLabels(rest[1:], s.Labels); !ok {
				t.Fatalf("metrics: bad labels in %q", line)
			}
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			t.Fatalf("metrics: no value in %q", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			t.Fatalf("metrics: bad value in %q", line)
		}
		s.Value = v
		out = append(out, s)
	}
	return out
}

// parseLabels reads `a="x",b="y"}` into into and returns what follows.
func parseLabels(s string, into map[string]string) (string, bool) {
	for {
		if strings.HasPrefix(s, "}") {
			return s[1:], true
		}
		eq := strings.Index(s, `="`)
		if eq < 0 {
			return "", false
		}
		name := strings.TrimPrefix(s[:eq], ",")
		s = s[eq+2:]
		var v strings.Builder
		for {
			if s == "" {
				return "", false
			}
			c := s[0]
			s = s[1:]
			if c == '"' {
				break
			}
			if c == '\\' && s != "" {
				switch s[0] {
				case 'n':
					v.WriteByte('\n')
				default:
					v.WriteByte(s[0])
				}
				s = s[1:]
				continue
			}
			v.WriteByte(c)
		}
		into[name] = v.String()
		s = strings.TrimPrefix(s, ",")
	}
}

// Metric returns the value of the sample named name whose labels include
// every pair of labels ("name", "value", …), and whether there is one.
func Metric(samples []Sample, name string, labels ...string) (float64, bool) {
	for _, s := range samples {
		if s.Name != name {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if s.Labels[labels[i]] != labels[i+1] {
				match = false
				break
			}
		}
		if match {
			return s.Value, true
		}
	}
	return 0, false
}

// Scrape returns the app's metrics in Prometheus's text format, as the
// metrics listener (DASHBOARD_METRICS_ADDR) serves them.
func (a *App) Scrape(t testing.TB) string {
	t.Helper()
	rec := httptest.NewRecorder()
	a.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: status %d: %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}
