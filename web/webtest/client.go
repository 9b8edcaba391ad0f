package webtest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Browser returns an HTTP client with its own cookie jar that does not follow
// redirects, so tests see every 303.
func (a *App) Browser(t testing.TB) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second, Transport: a.tlsClient.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Login signs the client in as email and returns it.
func (a *App) Login(t testing.TB, email string) *http.Client {
	t.Helper()
	c := a.Browser(t)
	resp := a.PostForm(t, c, "/login", url.Values{"email": {email}, "password": {Password}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login as %s: status %d, want 303", email, resp.StatusCode)
	}
	return c
}

// CSRF fetches a page and returns the session's CSRF token from its markup.
func (a *App) CSRF(t testing.TB, c *http.Client) string {
	t.Helper()
	resp, err := c.Get(a.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	const marker = `name="csrf" value="`
	s := string(body)
	i := strings.Index(s, marker)
	if i < 0 {
		// signed in: /login redirects; read it from another page
		resp2, err := c.Get(a.URL + "/credentials")
		if err != nil {
			t.Fatal(err)
		}
		defer resp2.Body.Close()
		b2, _ := io.ReadAll(resp2.Body)
		s = string(b2)
		i = strings.Index(s, marker)
		if i < 0 {
			t.Fatalf("no csrf token in page")
		}
	}
	s = s[i+len(marker):]
	return s[:strings.IndexByte(s, '"')]
}

// PostForm posts a form with the session's CSRF token added (unless the form
// already has a "csrf" key) and a same-origin Origin header.
func (a *App) PostForm(t testing.TB, c *http.Client, path string, form url.Values) *http.Response {
	t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", a.CSRF(t, c))
	}
	req, _ := http.NewRequest(http.MethodPost, a.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// Get fetches path; htmx adds the HX-Request header.
func (a *App) Get(t testing.TB, c *http.Client, path string, htmx bool) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.URL+path, nil)
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Current-URL", a.URL+path)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// UpstreamCalls counts simulator requests whose path contains substr.
func (a *App) UpstreamCalls(method, substr string) int {
	n := 0
	for _, r := range a.Sim.Requests() {
		if (method == "" || r.Method == method) && strings.Contains(r.Path, substr) {
			n++
		}
	}
	return n
}

// LogBuffer collects log output safely across goroutines.
type LogBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// HTMXPost posts a form as htmx does from the page at current: HX-Request,
// HX-Current-URL and the CSRF token in X-CSRF-Token. The body is returned.
func (a *App) HTMXPost(t testing.TB, c *http.Client, current, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	return a.HTMXPostToken(t, c, a.CSRF(t, c), current, path, form)
}

// HTMXPostToken is HTMXPost with a given CSRF token (tests of refusals).
func (a *App) HTMXPostToken(t testing.TB, c *http.Client, token, current, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.URL)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Current-URL", a.URL+current)
	req.Header.Set("X-CSRF-Token", token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
