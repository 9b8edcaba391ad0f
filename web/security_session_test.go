package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/respond/bulkjobs/handlers"
	"github.com/respond/bulkjobs/web/webtest"
)

// loginSetCookie logs in and returns the session Set-Cookie of the answer.
func loginSetCookie(t *testing.T, app *webtest.App) (*http.Client, *http.Cookie, string) {
	t.Helper()
	c := app.Browser(t)
	resp := app.PostForm(t, c, "/login", url.Values{"email": {webtest.Responder}, "password": {webtest.Password}})
	resp.Body.Close()
	for _, raw := range resp.Header.Values("Set-Cookie") {
		if ck, err := http.ParseSetCookie(raw); err == nil && strings.Contains(ck.Name, "dash_session") {
			return c, ck, raw
		}
	}
	t.Fatalf("login set no session cookie: %v", resp.Header.Values("Set-Cookie"))
	return nil, nil, ""
}

func TestSessionCookieAttributes(t *testing.T) {
	for _, tls := range []bool{false, true} {
		app := webtest.New(t, webtest.Options{TLS: tls})
		_, ck, raw := loginSetCookie(t, app)
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
			t.Errorf("tls=%v: cookie %q lacks HttpOnly, SameSite=Lax or Path=/, or has a Domain", tls, raw)
		}
		if ck.Secure != tls {
			t.Errorf("tls=%v: Secure = %v", tls, ck.Secure)
		}
		if tls && ck.Name != "__Host-dash_session" {
			t.Errorf("https cookie name %q, want the __Host- prefix", ck.Name)
		}
		if len(raw) >= 4096 {
			t.Errorf("cookie is %d bytes", len(raw))
		}
		// Inside: a JSON object of IDs, timestamps and the CSRF token, no gob.
		values := map[string]json.RawMessage{}
		if err := jsonCodec(webtest.SessionKey).Decode(ck.Name, ck.Value, &values); err != nil {
			t.Fatalf("session cookie is not JSON under the session keys: %v", err)
		}
		for k, v := range values {
			switch k {
			case "uid", "ver", "iat", "seen":
				var n int64
				if err := json.Unmarshal(v, &n); err != nil || n <= 0 {
					t.Errorf("session %v = %s, want a positive integer", k, v)
				}
			case "csrf":
				var token string
				if err := json.Unmarshal(v, &token); err != nil || len(token) < 32 {
					t.Errorf("session csrf = %s, want a token", v)
				}
			default:
				t.Errorf("unexpected session value %v = %s", k, v)
			}
		}
		if len(values) != 5 {
			t.Errorf("session holds %d values, want uid, ver, iat, seen and csrf", len(values))
		}
	}
}

// jsonCodec decodes session cookies made with key.
func jsonCodec(key handlers.KeyPair) *securecookie.SecureCookie {
	return securecookie.New(key.Hash, key.Block).SetSerializer(securecookie.JSONEncoder{})
}

func TestLogoutAndPasswordChangeRevokeEverySession(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	laptop, phone := app.Login(t, webtest.Responder), app.Login(t, webtest.Responder)
	readAll(t, app.PostForm(t, laptop, "/logout", url.Values{}))
	if resp, _ := app.Get(t, phone, "/accounts", false); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout elsewhere: other session still works (%d)", resp.StatusCode)
	}

	laptop, phone = app.Login(t, webtest.Responder), app.Login(t, webtest.Responder)
	resp := app.PostForm(t, laptop, "/account/password", url.Values{
		"current": {webtest.Password}, "new": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}})
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("password change: %d", resp.StatusCode)
	}
	if resp, _ := app.Get(t, phone, "/accounts", false); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("password change: other session still works (%d)", resp.StatusCode)
	}
	if resp, _ := app.Get(t, laptop, "/accounts", false); resp.StatusCode != http.StatusOK {
		t.Errorf("password change logged out the session that made it (%d)", resp.StatusCode)
	}
	// Wrong current password changes nothing.
	resp = app.PostForm(t, laptop, "/account/password", url.Values{"current": {"guess guess guess"}, "new": {"x2345678901234"}, "confirm": {"x2345678901234"}})
	if body := readAll(t, resp); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not your current password") {
		t.Errorf("wrong current password: %d", resp.StatusCode)
	}
}

func TestSessionKeyRotation(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Viewer)
	newKey := handlers.KeyPair{Hash: []byte(strings.Repeat("n", 32)), Block: []byte(strings.Repeat("N", 32))}
	rotated, err := handlers.NewSessionManager([]handlers.KeyPair{newKey, webtest.SessionKey}, false, 30*time.Minute, 12*time.Hour, app.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	app.Handler.Sessions = rotated
	if resp, _ := app.Get(t, c, "/accounts", false); resp.StatusCode != http.StatusOK {
		t.Fatalf("cookie made with the old key refused after rotation (%d)", resp.StatusCode)
	}
	// New cookies are made with the new key only.
	_, ck, _ := loginSetCookie(t, app)
	if err := jsonCodec(newKey).Decode(ck.Name, ck.Value, &map[string]any{}); err != nil {
		t.Errorf("new cookie does not decode with the new key: %v", err)
	}
	if err := jsonCodec(webtest.SessionKey).Decode(ck.Name, ck.Value, &map[string]any{}); err == nil {
		t.Error("new cookie decodes with the old key")
	}
	// Once the old key is dropped, old cookies are worthless.
	only, _ := handlers.NewSessionManager([]handlers.KeyPair{newKey}, false, 30*time.Minute, 12*time.Hour, app.Clock.Now)
	old := app.Login(t, webtest.Viewer) // made with the rotated manager: new key, still valid
	app.Handler.Sessions = only
	if resp, _ := app.Get(t, old, "/accounts", false); resp.StatusCode != http.StatusOK {
		t.Errorf("new-key cookie refused (%d)", resp.StatusCode)
	}
	if resp, _ := app.Get(t, c, "/accounts", false); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("old-key cookie still accepted after the old key was dropped (%d)", resp.StatusCode)
	}
	for _, bad := range [][]handlers.KeyPair{nil, {{Hash: []byte("short"), Block: make([]byte, 32)}}, {{Hash: make([]byte, 32), Block: make([]byte, 16)}}} {
		if _, err := handlers.NewSessionManager(bad, false, time.Minute, time.Hour, nil); err == nil {
			t.Errorf("NewSessionManager(%d short or missing keys) accepted", len(bad))
		}
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// TestGobSessionCookieStillAccepted: a cookie made by the gob encoding of
// earlier releases still signs its holder in (a deploy logs nobody out) and
// is rewritten as JSON on the first answer. A gob cookie under another key
// is worth nothing.
func TestGobSessionCookieStillAccepted(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	u := app.Users[webtest.Responder]
	now := app.Clock.Now().Unix()
	gob := func(key handlers.KeyPair) string {
		v, err := securecookie.New(key.Hash, key.Block).Encode("dash_session", map[any]any{
			"uid": u.ID, "ver": u.SessionVersion, "iat": now, "seen": now, "csrf": strings.Repeat("t", 43)})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	get := func(value string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, app.URL+"/accounts", nil)
		req.AddCookie(&http.Cookie{Name: "dash_session", Value: value})
		resp, err := app.Browser(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		return resp
	}
	resp := get(gob(webtest.SessionKey))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("gob cookie of an earlier release: status %d, want 200", resp.StatusCode)
	}
	var rewritten *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "dash_session" {
			rewritten = ck
		}
	}
	if rewritten == nil {
		t.Fatal("gob cookie was not rewritten")
	}
	var d map[string]any
	if err := jsonCodec(webtest.SessionKey).Decode(rewritten.Name, rewritten.Value, &d); err != nil || d["uid"] != float64(u.ID) {
		t.Errorf("rewritten cookie: %v, uid %v", err, d["uid"])
	}
	if resp := get(rewritten.Value); resp.StatusCode != http.StatusOK {
		t.Errorf("rewritten cookie refused (%d)", resp.StatusCode)
	}
	other := handlers.KeyPair{Hash: []byte(strings.Repeat("o", 32)), Block: []byte(strings.Repeat("O", 32))}
	if resp := get(gob(other)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("gob cookie under a foreign key: status %d, want 303 to login", resp.StatusCode)
	}
}
