package fleettest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// browser is one analyst's browser on the fleet's public URL (the proxy):
// one cookie jar for every replica, as behind a real load balancer.
type browser struct {
	base string
	c    *http.Client
}

func newBrowser(base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// copyTab returns a browser holding b's cookies as they are now, as a tab
// whose requests were sent before an answer changed them (or a stolen
// cookie).
func (b *browser) copyTab() *browser {
	o := newBrowser(b.base)
	u, _ := url.Parse(b.base)
	o.c.Jar.SetCookies(u, b.c.Jar.Cookies(u))
	return o
}

// do sends one request; pin sends it to that replica (1 is r1), 0 lets the
// proxy choose. A form is posted same-origin, as the page's forms are.
func (b *browser) do(method, path string, pin int, form url.Values, hdr map[string]string) (*http.Response, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.base)
	}
	if pin > 0 {
		req.Header.Set(pinHeader, strconv.Itoa(pin))
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, string(raw), err
}

// must is do that fails the test on a transport error.
func (b *browser) must(t *testing.T, method, path string, pin int, form url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	resp, body, err := b.do(method, path, pin, form, hdr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp, body
}

// htmx returns the headers htmx sends from an element of the page at
// current, with the page's CSRF token (hx-headers).
func (b *browser) htmx(current, target, csrf string) map[string]string {
	h := map[string]string{"HX-Request": "true", "HX-Current-URL": b.base + current}
	if target != "" {
		h["HX-Trigger"], h["HX-Target"] = target, target
	}
	if csrf != "" {
		h["X-CSRF-Token"] = csrf
	}
	return h
}

// login signs in through the login form on replica pin.
func (b *browser) login(t *testing.T, email, password string, pin int) {
	t.Helper()
	_, page := b.must(t, http.MethodGet, "/login", pin, nil, nil)
	form := url.Values{"email": {email}, "password": {password}, "csrf": {csrfOf(t, page)}, "next": {""}}
	if resp, body := b.must(t, http.MethodPost, "/login", pin, form, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login as %s on r%d: status %d\n%s", email, pin, resp.StatusCode, body)
	}
}

// addCredential saves the token for the account through the Credentials
// form on replica pin and checks that the dashboard's test of it passed.
func (b *browser) addCredential(t *testing.T, token string, pin int) {
	t.Helper()
	_, page := b.must(t, http.MethodGet, "/credentials", pin, nil, nil)
	form := url.Values{"label": {"Fleet"}, "account_id": {account}, "kind": {"token"}, "token": {token}, "csrf": {csrfOf(t, page)}}
	resp, body := b.must(t, http.MethodPost, "/credentials", pin, form, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add credential on r%d: status %d\n%s", pin, resp.StatusCode, body)
	}
	if _, page = b.must(t, http.MethodGet, "/credentials", pin, nil, nil); !strings.Contains(page, "Test passed") {
		t.Fatalf("add credential on r%d: the dashboard's test of the token did not pass\n%s", pin, page)
	}
}

// csrfOf returns the CSRF token of a page: its hidden csrf field, or the
// X-CSRF-Token of its hx-headers.
func csrfOf(t *testing.T, page string) string {
	t.Helper()
	d := parse(t, page)
	if v, ok := d.Find(`input[name="csrf"]`).Attr("value"); ok && v != "" {
		return v
	}
	h := map[string]string{}
	if v, ok := d.Find(`[hx-headers]`).Attr("hx-headers"); ok {
		_ = json.Unmarshal([]byte(v), &h)
	}
	if h["X-CSRF-Token"] == "" {
		t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return h["X-CSRF-Token"]
}

func parse(t *testing.T, html string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// cardStatus returns the data-status of the answer's job card.
func cardStatus(t *testing.T, html string) string {
	t.Helper()
	s, _ := parse(t, html).Find(`[data-testid="job-card"]`).Attr("data-status")
	return s
}

// jobPath is a job's page.
func jobPath(job string) string { return "/accounts/" + account + "/jobs/" + job }
