package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/respond/bulkjobs/handlers"
	"github.com/respond/bulkjobs/web/webtest"
)

// sessionCookie returns the session cookie the client holds for the app.
func sessionCookie(t *testing.T, app *webtest.App, c *http.Client) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(app.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "dash_session" {
			return ck
		}
	}
	return nil
}

func TestLogin(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	tests := []struct {
		name       string
		email, pw  string
		wantStatus int
		wantText   string
	}{
		{"right", webtest.Responder, webtest.Password, http.StatusSeeOther, ""},
		{"right, other case", strings.ToUpper(webtest.Responder), webtest.Password, http.StatusSeeOther, ""},
		{"wrong password", webtest.Responder, "not the password", http.StatusUnauthorized, "Wrong email or password."},
		{"unknown email", "ghost@test.example", webtest.Password, http.StatusUnauthorized, "Wrong email or password."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := app.Browser(t)
			resp := app.PostForm(t, c, "/login", url.Values{"email": {tt.email}, "password": {tt.pw}})
			body := readAll(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("POST /login status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if !strings.Contains(body, tt.wantText) {
				t.Errorf("body does not contain %q", tt.wantText)
			}
		})
	}
}

func TestLoginDisabledUser(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Viewer)
	if err := app.Store.SetDisabled(context.Background(), app.Users[webtest.Viewer].ID, true); err != nil {
		t.Fatal(err)
	}
	// The existing session ends at once.
	resp, _ := app.Get(t, c, "/accounts", false)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("disabled user's page: status %d location %q, want redirect to login", resp.StatusCode, resp.Header.Get("Location"))
	}
	// And the right password no longer works, with the same message.
	c2 := app.Browser(t)
	resp = app.PostForm(t, c2, "/login", url.Values{"email": {webtest.Viewer}, "password": {webtest.Password}})
	if body := readAll(t, resp); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong email or password.") {
		t.Errorf("disabled login: status %d", resp.StatusCode)
	}
}

func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Browser(t)
	for range 5 {
		readAll(t, app.PostForm(t, c, "/login", url.Values{"email": {webtest.Admin}, "password": {"wrong password!"}}))
	}
	resp := app.PostForm(t, c, "/login", url.Values{"email": {webtest.Admin}, "password": {webtest.Password}})
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed attempts") {
		t.Fatalf("6th attempt: status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	app.Clock.Advance(16 * time.Minute)
	resp = app.PostForm(t, c, "/login", url.Values{"email": {webtest.Admin}, "password": {webtest.Password}})
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after the window: status %d, want 303", resp.StatusCode)
	}
}

func TestSessionFixationAndLogoutReplay(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Browser(t)
	app.CSRF(t, c) // an anonymous session exists now
	before := sessionCookie(t, app, c)
	if before == nil {
		t.Fatal("no anonymous session cookie")
	}
	resp := app.PostForm(t, c, "/login", url.Values{"email": {webtest.Responder}, "password": {webtest.Password}})
	readAll(t, resp)
	after := sessionCookie(t, app, c)
	if after == nil || after.Value == before.Value {
		t.Fatal("session cookie did not change at login")
	}
	// The pre-login cookie is not signed in.
	old := app.Browser(t)
	u, _ := url.Parse(app.URL)
	old.Jar.SetCookies(u, []*http.Cookie{before})
	if resp, _ := app.Get(t, old, "/accounts", false); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("pre-login cookie: status %d, want 303 to login", resp.StatusCode)
	}
	// Log out, then replay the signed-in cookie: refused.
	readAll(t, app.PostForm(t, c, "/logout", url.Values{}))
	replay := app.Browser(t)
	replay.Jar.SetCookies(u, []*http.Cookie{after})
	if resp, _ := app.Get(t, replay, "/accounts", false); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("replayed cookie after logout: status %d, want 303 to login", resp.StatusCode)
	}
}

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Viewer)
	app.Clock.Advance(29 * time.Minute)
	if resp, _ := app.Get(t, c, "/accounts", false); resp.StatusCode != http.StatusOK {
		t.Fatalf("within idle timeout: status %d", resp.StatusCode)
	}
	app.Clock.Advance(31 * time.Minute)
	resp, _ := app.Get(t, c, "/accounts", false)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after idle timeout: status %d, want 303", resp.StatusCode)
	}
	// Absolute timeout: active every 20 minutes, still ends after 12 hours.
	c = app.Login(t, webtest.Viewer)
	for range 12 * 3 {
		app.Clock.Advance(20 * time.Minute)
		if resp, _ := app.Get(t, c, "/accounts", false); resp.StatusCode != http.StatusOK {
			t.Fatalf("active session ended early, at %v", app.Clock.Now())
		}
	}
	app.Clock.Advance(time.Minute)
	if resp, _ := app.Get(t, c, "/accounts", false); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after absolute timeout: status %d, want 303", resp.StatusCode)
	}
}

func TestHtmxExpiredSessionRedirects(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Browser(t)
	path := "/accounts/" + webtest.Account + "/jobs?status=PROCESSING"
	resp, body := app.Get(t, c, path, true)
	want := "/login?next=" + url.QueryEscape(path)
	if got := resp.Header.Get("HX-Redirect"); got != want {
		t.Errorf("HX-Redirect = %q, want %q", got, want)
	}
	if strings.Contains(body, "password") {
		t.Error("an htmx request got a login form in its body")
	}
}

func TestSharedLinkThroughLogin(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Browser(t)
	job := "/accounts/" + webtest.Account + "/jobs/52fb7adc-02ed-4225-a484-c02787b1eed3"
	resp, _ := app.Get(t, c, job, false)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape(job) {
		t.Fatalf("anonymous job link: status %d location %q", resp.StatusCode, loc)
	}
	resp = app.PostForm(t, c, "/login", url.Values{"email": {webtest.Viewer}, "password": {webtest.Password}, "next": {job}})
	readAll(t, resp)
	if got := resp.Header.Get("Location"); got != job {
		t.Errorf("after login Location = %q, want %q", got, job)
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"/accounts/x/jobs?status=PENDING": "/accounts/x/jobs?status=PENDING",
		"":                                "/",
		"//evil.example":                  "/",
		"/\\evil.example":                 "/",
		"/%5Cevil.example":                "/",
		"/%2F%2Fevil.example":             "/",
		"https://evil.example":            "/",
		"http:/evil.example":              "/",
		"javascript:alert(1)":             "/",
		"evil.example":                    "/",
		"/ok\r\nSet-Cookie: x=1":          "/",
		"/%0d%0aSet-Cookie:x":             "/",
		"/\x00":                           "/",
		"%2F%2Fevil.example":              "/",
	}
	for in, want := range tests {
		if got := handlers.SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHostileNextAfterLogin(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	for _, next := range []string{"//evil.example", "/\\evil.example", "https://evil.example", "/%5Cevil.example", "%2F%2Fevil.example"} {
		c := app.Browser(t)
		resp := app.PostForm(t, c, "/login", url.Values{"email": {webtest.Viewer}, "password": {webtest.Password}, "next": {next}})
		readAll(t, resp)
		if got := resp.Header.Get("Location"); got != "/" {
			t.Errorf("next=%q: Location = %q, want /", next, got)
		}
	}
}

func TestCSRFRefused(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Nobody)
	other := app.Login(t, webtest.Viewer)
	otherToken := app.CSRF(t, other)
	form := func(csrf string) url.Values {
		v := url.Values{"label": {"x"}, "account_id": {webtest.Account}, "kind": {"token"}, "token": {"some-token-value-123"}}
		if csrf != "-" {
			v.Set("csrf", csrf)
		}
		return v
	}
	for name, v := range map[string]url.Values{
		"missing":         form(""),
		"wrong":           form("not-the-token"),
		"other session's": form(otherToken),
	} {
		resp := app.PostForm(t, c, "/credentials", v)
		readAll(t, resp)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s token: status %d, want 403", name, resp.StatusCode)
		}
	}
	// A cross-site request with the right token is refused too.
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/credentials", strings.NewReader(form(app.CSRF(t, c)).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site: status %d, want 403", resp.StatusCode)
	}
	creds, _ := app.Store.Credentials(context.Background(), app.Users[webtest.Nobody].ID)
	if len(creds) != 0 {
		t.Errorf("refused requests stored %d credentials", len(creds))
	}
	if n := app.UpstreamCalls("", ""); n != 0 {
		t.Errorf("refused requests made %d upstream calls", n)
	}
}
