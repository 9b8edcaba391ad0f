package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web/webtest"
)

// postLogin posts the login form with a CSRF token fetched before; it calls
// no testing.T method, so goroutines may use it.
func postLogin(app *webtest.App, c *http.Client, csrf, email, password string) (int, error) {
	form := url.Values{"email": {email}, "password": {password}, "csrf": {csrf}}
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", app.URL)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// loginStatus tries a login and returns the status.
func loginStatus(t *testing.T, app *webtest.App, c *http.Client, email, password string) int {
	t.Helper()
	resp := app.PostForm(t, c, "/login", url.Values{"email": {email}, "password": {password}})
	readAll(t, resp)
	return resp.StatusCode
}

// knownBrowser logs email in and out again: the browser keeps its device
// cookie, and nothing else.
func knownBrowser(t *testing.T, app *webtest.App, email string) *http.Client {
	t.Helper()
	c := app.Login(t, email)
	readAll(t, app.PostForm(t, c, "/logout", url.Values{}))
	return c
}

// deviceCookie returns the device cookie c holds for the login page.
func deviceCookie(t *testing.T, app *webtest.App, c *http.Client) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(app.URL + "/login")
	for _, ck := range c.Jar.Cookies(u) {
		if strings.Contains(ck.Name, "dash_device_") {
			return ck
		}
	}
	t.Fatal("the browser holds no device cookie after a successful login")
	return nil
}

// lockAccount makes five wrong guesses at email from a stranger's browser.
func lockAccount(t *testing.T, app *webtest.App, email string) {
	t.Helper()
	attacker := app.Browser(t)
	for i := range 5 {
		if got := loginStatus(t, app, attacker, email, "guess number "+strconv.Itoa(i)); got != http.StatusUnauthorized {
			t.Fatalf("guess %d: status %d, want 401", i, got)
		}
	}
	if got := loginStatus(t, app, attacker, email, "one guess too many"); got != http.StatusTooManyRequests {
		t.Fatalf("6th guess: status %d, want 429", got)
	}
}

func TestStrangersGuessesDoNotLockOutAKnownBrowser(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	responder := knownBrowser(t, app, webtest.Responder)
	lockAccount(t, app, webtest.Responder)

	if got := loginStatus(t, app, app.Browser(t), webtest.Responder, webtest.Password); got != http.StatusTooManyRequests {
		t.Errorf("a new browser with the right password: status %d, want 429 (the account is locked for it)", got)
	}
	if got := loginStatus(t, app, responder, webtest.Responder, webtest.Password); got != http.StatusSeeOther {
		t.Errorf("the responder's own browser with the right password: status %d, want 303", got)
	}
}

func TestAddressSprayDoesNotLockOutAKnownBrowser(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	responder := knownBrowser(t, app, webtest.Responder)
	// Every test browser comes from 127.0.0.1, as every analyst behind a
	// proxy does without DASHBOARD_TRUSTED_PROXIES. The sprayed accounts
	// exist, so each guess costs a test-sized hash, not a dummy full one.
	hasher, err := store.NewHasher(store.TestParams())
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := hasher.Hash(webtest.Password)
	for i := range 50 {
		if _, err := app.Store.CreateUser(context.Background(), "spray"+strconv.Itoa(i)+"@test.example", store.RoleViewer, hash); err != nil {
			t.Fatal(err)
		}
	}
	attacker := app.Browser(t)
	for i := range 50 {
		if got := loginStatus(t, app, attacker, "spray"+strconv.Itoa(i)+"@test.example", "wrong password!"); got != http.StatusUnauthorized {
			t.Fatalf("spray %d: status %d, want 401", i, got)
		}
	}
	if got := loginStatus(t, app, app.Browser(t), webtest.Viewer, webtest.Password); got != http.StatusTooManyRequests {
		t.Errorf("a new browser from the sprayed address: status %d, want 429", got)
	}
	if got := loginStatus(t, app, responder, webtest.Responder, webtest.Password); got != http.StatusSeeOther {
		t.Errorf("a known browser from the sprayed address: status %d, want 303", got)
	}
}

// gatedStore holds every password lookup until gate is closed, and reports
// each on entered (never blocking there).
type gatedStore struct {
	store.Store
	entered chan struct{}
	gate    chan struct{}
}

func (s *gatedStore) UserByEmail(ctx context.Context, email string) (store.User, string, error) {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-s.gate
	return s.Store.UserByEmail(ctx, email)
}

func TestConcurrentCorrectLoginsAllSucceed(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	const n = 8
	var browsers []*http.Client
	var tokens []string
	for range n {
		c := app.Browser(t)
		browsers, tokens = append(browsers, c), append(tokens, app.CSRF(t, c))
	}
	gs := &gatedStore{Store: app.Handler.Store, entered: make(chan struct{}, n), gate: make(chan struct{})}
	app.Handler.Store = gs
	results := make(chan int, n)
	for i := range n {
		go func() {
			status, err := postLogin(app, browsers[i], tokens[i], webtest.Responder, webtest.Password)
			if err != nil {
				status = -1
			}
			results <- status
		}()
	}
	// Hold the first password checks (one per hash slot) while the other
	// logins queue behind them. Before the fix every attempt counted as a
	// failure while it ran, so the queued ones came back 429 at once; the
	// grace only gives them time to, and never makes this test fail.
	statuses, received := map[int]int{}, 0
	early := false
	for held := 0; held < min(runtime.NumCPU(), n) && !early; {
		select {
		case <-gs.entered:
			held++
		case s := <-results:
			statuses[s]++
			received++
			early = true
		}
	}
	if !early {
		select {
		case s := <-results:
			statuses[s]++
			received++
		case <-time.After(200 * time.Millisecond):
		}
	}
	close(gs.gate)
	for ; received < n; received++ {
		statuses[<-results]++
	}
	if statuses[http.StatusSeeOther] != n {
		t.Fatalf("%d concurrent correct logins: statuses %v, want all 303", n, statuses)
	}
	// They left no failure behind: four wrong passwords still leave one try.
	c := app.Browser(t)
	for range 4 {
		loginStatus(t, app, c, webtest.Responder, "wrong password!")
	}
	if got := loginStatus(t, app, app.Browser(t), webtest.Responder, webtest.Password); got != http.StatusSeeOther {
		t.Errorf("after the concurrent logins and 4 failures: status %d, want 303", got)
	}
}

func TestForgedTamperedOrOtherAccountsDeviceCookieIsUntrusted(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	mine := deviceCookie(t, app, knownBrowser(t, app, webtest.Responder))
	theirs := deviceCookie(t, app, knownBrowser(t, app, webtest.Viewer))
	lockAccount(t, app, webtest.Responder)

	i := len(mine.Value) / 2
	flip := "A"
	if mine.Value[i] == 'A' {
		flip = "B"
	}
	tests := []struct {
		name, cookie, value string
		want                int
	}{
		{"forged", mine.Name, "bm90IGEgZGV2aWNlIGNvb2tpZQ", http.StatusTooManyRequests},
		{"tampered", mine.Name, mine.Value[:i] + flip + mine.Value[i+1:], http.StatusTooManyRequests},
		{"another account's, renamed", mine.Name, theirs.Value, http.StatusTooManyRequests},
		{"another account's", theirs.Name, theirs.Value, http.StatusTooManyRequests},
		{"genuine, copied to another browser", mine.Name, mine.Value, http.StatusSeeOther},
	}
	u, _ := url.Parse(app.URL + "/login")
	for _, tt := range tests {
		c := app.Browser(t)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: tt.cookie, Value: tt.value, Path: "/login"}})
		if got := loginStatus(t, app, c, webtest.Responder, webtest.Password); got != tt.want {
			t.Errorf("%s device cookie: status %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestDeviceCookieHasItsOwnLimit(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	responder := knownBrowser(t, app, webtest.Responder)
	lockAccount(t, app, webtest.Responder)
	// The known browser's own typos are answered, not refused...
	for i := range 5 {
		if got := loginStatus(t, app, responder, webtest.Responder, "typo "+strconv.Itoa(i)); got != http.StatusUnauthorized {
			t.Fatalf("known browser's wrong password %d: status %d, want 401", i, got)
		}
	}
	// ...until its own limit: then it counts as a new browser, and the
	// account is locked for those.
	resp := app.PostForm(t, responder, "/login", url.Values{"email": {webtest.Responder}, "password": {webtest.Password}})
	if body := readAll(t, resp); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, "Too many failed attempts") {
		t.Errorf("known browser after its own 5 failures: status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	app.Clock.Advance(16 * time.Minute)
	if got := loginStatus(t, app, responder, webtest.Responder, webtest.Password); got != http.StatusSeeOther {
		t.Errorf("after the window: status %d, want 303", got)
	}
}
