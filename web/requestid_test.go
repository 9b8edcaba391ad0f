package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/web/webtest"
)

// TestRequestIDFromClientIsCheckedBeforeUse sends request IDs of every kind:
// a well-formed one is echoed and logged as it is, anything else is replaced
// by a new UUID and never echoed or logged.
func TestRequestIDFromClientIsCheckedBeforeUse(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	tests := []struct {
		name, give string
		keep       bool
	}{
		{"a uuid", "3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e42", true},
		{"letters, digits, dot, dash, underscore", "lb-01.req_42", true},
		{"one character", "x", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"absent", "", false},
		{"65 characters", strings.Repeat("b", 65), false},
		{"30 KB", strings.Repeat("c", 30<<10), false},
		{"a space", "two words", false},
		{"markup", "<script>alert(1)</script>", false},
		{"quotes and braces", `x","level":"ERROR`, false},
		{"non-ASCII", "réquest", false},
		{"a slash", "a/b", false},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, app.URL+"/healthz", nil)
		if tt.give != "" {
			req.Header.Set("X-Request-Id", tt.give)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		resp.Body.Close()
		got := resp.Header.Get("X-Request-Id")
		switch {
		case tt.keep && got != tt.give:
			t.Errorf("%s: X-Request-Id = %q, want %q kept", tt.name, got, tt.give)
		case !tt.keep && !uuidRE.MatchString(got):
			t.Errorf("%s: X-Request-Id = %.80q, want a new UUID", tt.name, got)
		}
		if !strings.Contains(app.Logs.String(), `"request_id":"`+got+`"`) {
			t.Errorf("%s: the log has no line with request_id %.80q", tt.name, got)
		}
	}
	logs := app.Logs.String()
	for _, bad := range []string{strings.Repeat("b", 65), "two words", "alert(1)", "réquest", "a/b"} {
		if strings.Contains(logs, bad) {
			t.Errorf("the log holds the refused request ID %.80q", bad)
		}
	}
	if len(logs) > 20<<10 {
		t.Errorf("the log is %d bytes for %d small requests: a long request ID got in", len(logs), len(tests))
	}
}
