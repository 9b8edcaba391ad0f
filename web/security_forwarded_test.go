package web_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/web/webtest"
)

func TestForwardedHeadersFromAnUntrustedPeerAreReported(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	if !strings.Contains(app.Logs.String(), "no trusted proxies configured") {
		t.Error("start-up without DASHBOARD_TRUSTED_PROXIES logged no warning")
	}
	// Requests through a proxy nobody listed: the header names the client,
	// and the form carries a password.
	const client, canary = "203.0.113.77", "CANARYpw-forwarded-3141"
	c := app.Browser(t)
	for range 3 {
		form := url.Values{"email": {webtest.Responder}, "password": {canary}, "csrf": {app.CSRF(t, c)}}
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", app.URL)
		req.Header.Set("X-Forwarded-For", client)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
	}
	logs := app.Logs.String()
	if n := strings.Count(logs, "not a trusted proxy"); n != 1 {
		t.Errorf("the untrusted peer was logged %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs, `"peer":"127.0.0.1"`) {
		t.Errorf("the warning does not name the peer:\n%s", logs)
	}

	resp, body := app.Get(t, app.Browser(t), "/readyz", false)
	want := "warning: requests from 127.0.0.1 carry X-Forwarded-For but that peer is not in DASHBOARD_TRUSTED_PROXIES"
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "ready\n") || !strings.Contains(body, want) {
		t.Errorf("/readyz: status %d body %q, want 200, ready and %q", resp.StatusCode, body, want)
	}
	secrets := []string{client, canary, webtest.Password,
		base64.StdEncoding.EncodeToString(webtest.SessionKey.Hash), base64.RawURLEncoding.EncodeToString(webtest.SessionKey.Block)}
	u, _ := url.Parse(app.URL + "/login")
	for _, ck := range c.Jar.Cookies(u) {
		secrets = append(secrets, ck.Value)
	}
	for _, s := range secrets {
		if strings.Contains(body, s) {
			t.Errorf("/readyz shows %q", s)
		}
	}
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, "trusted prox") {
			continue
		}
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("the warning shows %q: %s", s, line)
			}
		}
	}
}
