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

// loginDeviceCookie logs email in on c and returns the device Set-Cookie of
// the answer.
func loginDeviceCookie(t *testing.T, app *webtest.App, c *http.Client, email string) (*http.Cookie, string) {
	t.Helper()
	resp := app.PostForm(t, c, "/login", url.Values{"email": {email}, "password": {webtest.Password}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d", resp.StatusCode)
	}
	var names []string
	for _, raw := range resp.Header.Values("Set-Cookie") {
		if ck, err := http.ParseSetCookie(raw); err == nil {
			if strings.Contains(ck.Name, "dash_device_") {
				return ck, raw
			}
			names = append(names, ck.Name)
		}
	}
	t.Fatalf("a successful login set no device cookie, only %v", names)
	return nil, ""
}

// decodeDevice opens a device cookie with key and returns what it holds.
func decodeDevice(key handlers.KeyPair, ck *http.Cookie) (map[string]any, error) {
	codec := securecookie.New(key.Hash, key.Block).SetSerializer(securecookie.JSONEncoder{})
	values := map[string]any{}
	return values, codec.Decode(ck.Name, ck.Value, &values)
}

func TestDeviceCookieAttributes(t *testing.T) {
	for _, tls := range []bool{false, true} {
		app := webtest.New(t, webtest.Options{TLS: tls})
		ck, raw := loginDeviceCookie(t, app, app.Browser(t), webtest.Responder)
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/login" || ck.Domain != "" {
			t.Errorf("tls=%v: device cookie %q lacks HttpOnly, SameSite=Strict or Path=/login, or has a Domain", tls, raw)
		}
		if ck.Secure != tls || strings.HasPrefix(ck.Name, "__Secure-") != tls {
			t.Errorf("tls=%v: Secure = %v, name %q", tls, ck.Secure, ck.Name)
		}
		if ck.MaxAge < 364*24*3600 {
			t.Errorf("tls=%v: Max-Age = %d, want about a year", tls, ck.MaxAge)
		}
		if strings.Contains(ck.Name, "responder") || strings.Contains(raw, webtest.Password) {
			t.Errorf("tls=%v: the cookie shows the email or the password: %q", tls, raw)
		}
		// Inside, encrypted: the account, a random ID and the issue time.
		values, err := decodeDevice(webtest.SessionKey, ck)
		if err != nil {
			t.Fatalf("decode device cookie: %v", err)
		}
		for k, v := range values {
			switch k {
			case "e":
				if v != webtest.Responder {
					t.Errorf("device cookie account = %v", v)
				}
			case "n":
				if s, _ := v.(string); len(s) < 20 {
					t.Errorf("device cookie ID %q is too short to be random", s)
				}
			case "t":
			default:
				t.Errorf("unexpected device cookie value %v = %v", k, v)
			}
		}
	}
}

func TestDeviceCookieSurvivesSessionKeyRotation(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	laptop := app.Browser(t)
	loginDeviceCookie(t, app, laptop, webtest.Responder) // made with the old key
	readAll(t, app.PostForm(t, laptop, "/logout", url.Values{}))

	newKey := handlers.KeyPair{Hash: []byte(strings.Repeat("n", 32)), Block: []byte(strings.Repeat("N", 32))}
	rotated, err := handlers.NewSessionManager([]handlers.KeyPair{newKey, webtest.SessionKey}, false, 30*time.Minute, 12*time.Hour, app.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	app.Handler.Sessions = rotated
	attacker := app.Browser(t)
	for range 6 {
		readAll(t, app.PostForm(t, attacker, "/login", url.Values{"email": {webtest.Responder}, "password": {"wrong password!"}}))
	}
	// The old key still verifies it; the new cookie is made with the new key.
	ck, _ := loginDeviceCookie(t, app, laptop, webtest.Responder)
	if _, err := decodeDevice(newKey, ck); err != nil {
		t.Errorf("new device cookie does not decode with the new key: %v", err)
	}
	if _, err := decodeDevice(webtest.SessionKey, ck); err == nil {
		t.Error("new device cookie decodes with the old key")
	}
}
