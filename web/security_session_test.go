package web_test

import (
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
		// Inside: only IDs, timestamps and the CSRF token.
		codec := securecookie.New(webtest.SessionKey.Hash, webtest.SessionKey.Block)
		values := map[any]any{}
		if err := codec.Decode(ck.Name, ck.Value, &values); err != nil {
			t.Fatalf("decode session: %v", err)
		}
		for k, v := range values {
			switch k {
			case "uid", "ver", "iat", "seen":
				if _, ok := v.(int64); !ok {
					t.Errorf("session %v = %T, want int64", k, v)
				}
			case "csrf":
			default:
				t.Errorf("unexpected session value %v = %v", k, v)
			}
		}
	}
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
	if err := securecookie.New(newKey.Hash, newKey.Block).Decode(ck.Name, ck.Value, &map[any]any{}); err != nil {
		t.Errorf("new cookie does not decode with the new key: %v", err)
	}
	if err := securecookie.New(webtest.SessionKey.Hash, webtest.SessionKey.Block).Decode(ck.Name, ck.Value, &map[any]any{}); err == nil {
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
