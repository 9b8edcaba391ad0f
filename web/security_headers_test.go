package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/web/webtest"
)

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	for _, tls := range []bool{false, true} {
		app := webtest.New(t, webtest.Options{TLS: tls})
		app.Echo.GET("/test-panic", func(c echo.Context) error { panic("boom in a handler") })
		anon := app.Browser(t)
		c := app.Login(t, webtest.Responder)
		job := "/accounts/" + secAccount + "/jobs/" + secJob
		cases := []struct {
			name   string
			client *http.Client
			path   string
			htmx   bool
			status int
			authed bool
		}{
			{"login page", anon, "/login", false, 200, false},
			{"health", anon, "/healthz", false, 200, false},
			{"static", anon, "/static/js/app.js", false, 200, false},
			{"unknown path", anon, "/no/such/page", false, 404, false},
			{"unknown path signed in", c, "/no/such/page", false, 404, false},
			{"method not allowed", c, job + "/cancel", false, 405, false},
			{"malformed ID", c, "/accounts/XYZ/jobs", false, 404, true},
			{"job list", c, "/accounts/" + secAccount + "/jobs", false, 200, true},
			{"list fragment", c, "/accounts/" + secAccount + "/jobs", true, 200, true},
			{"job page", c, job, false, 200, true},
			{"card fragment", c, job + "/card", true, 200, true},
			{"panic", c, "/test-panic", false, 500, false},
		}
		for _, tc := range cases {
			resp, body := app.Get(t, tc.client, tc.path, tc.htmx)
			h := resp.Header
			where := tc.name
			if tls {
				where += " (https)"
			}
			if resp.StatusCode != tc.status {
				t.Errorf("%s: status %d, want %d", where, resp.StatusCode, tc.status)
			}
			csp := h.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'none'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("%s: CSP %q lacks %s", where, csp, d)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("%s: CSP allows inline or eval: %q", where, csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
				t.Errorf("%s: nosniff %q, Referrer-Policy %q", where, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
			}
			if got := h.Get("Strict-Transport-Security") != ""; got != tls {
				t.Errorf("%s: HSTS present = %v, want %v", where, got, tls)
			}
			if tc.authed && !strings.Contains(h.Get("Cache-Control"), "no-store") {
				t.Errorf("%s: Cache-Control %q, want no-store", where, h.Get("Cache-Control"))
			}
			if tc.authed && resp.StatusCode == 200 && !strings.Contains(strings.Join(h.Values("Vary"), ","), "HX-Request") {
				t.Errorf("%s: Vary %q lacks HX-Request", where, h.Values("Vary"))
			}
			if strings.Contains(body, "goroutine ") || strings.Contains(body, "boom in a handler") || strings.Contains(body, ".go:") {
				t.Errorf("%s: internals in the body", where)
			}
		}
		if !strings.Contains(app.Logs.String(), "boom in a handler") {
			t.Error("the panic was not logged")
		}
	}
}

func TestLoginLimitedPerAddressIgnoringForwardedFor(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Browser(t)
	try := func(email, xff string) *http.Response {
		form := url.Values{"email": {email}, "password": {"wrong password!!"}, "csrf": {app.CSRF(t, c)}}
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", app.URL)
		req.Header.Set("X-Forwarded-For", xff)
		req.Header.Set("X-Real-IP", xff)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// 50 failures from one address, each under another email and another
	// claimed X-Forwarded-For: the per-address limit still applies.
	for i := range 50 {
		if resp := try("spray"+strconv.Itoa(i)+"@test.example", "203.0.113."+strconv.Itoa(i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	resp := try(webtest.Admin, "198.51.100.7")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("51st attempt from one address: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	app.Clock.Advance(16 * time.Minute)
	if resp := try(webtest.Admin, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after the window: %d", resp.StatusCode)
	}
}
