package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// analyst is one person: a login, a token and a browser.
type analyst struct {
	email, password, token string
	b                      *browser
}

// newAnalysts makes n analysts with random passwords and tokens; with shared,
// pairs share a token.
// The emails carry a random tag, so that runs against one running
// dashboard (-data-dir) do not collide.
func newAnalysts(n int, shared bool) []*analyst {
	tag := make([]byte, 3)
	rand.Read(tag)
	as := make([]*analyst, n)
	for i := range as {
		pw := make([]byte, 12)
		rand.Read(pw)
		as[i] = &analyst{email: fmt.Sprintf("analyst%04d.%x@loadtest.example", i+1, tag), password: hex.EncodeToString(pw), token: newToken()}
		if shared && i%2 == 1 {
			as[i].token = as[i-1].token
		}
	}
	return as
}

// readUsers reads analysts from a file: "email password [token]" per line.
// A token is required when wantToken is set.
func readUsers(path string, wantToken bool) ([]*analyst, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var as []*analyst
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || len(f) > 3 || (wantToken && len(f) != 3) {
			what := "email password [token]"
			if wantToken {
				what = "email password token"
			}
			return nil, fmt.Errorf("%s:%d: want %q", path, n, what)
		}
		a := &analyst{email: f[0], password: f[1]}
		if len(f) == 3 {
			a.token = f[2]
		} else {
			a.token = newToken()
		}
		as = append(as, a)
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("%s: no analysts", path)
	}
	return as, nil
}

// setup logs the analyst in and adds its token for the account, through the
// pages, exactly as a browser does: GET /login for the form's CSRF token,
// POST /login (Origin same-site), follow the redirects, then POST
// /credentials and check the credential test passed. A login refused with
// 503 (the server is busy hashing other passwords) is counted and tried
// again after Retry-After, as a person would.
func (a *analyst) setup(ctx context.Context) error {
	b := a.b
	page, err := b.navigate(ctx, "/login", kLoginPage)
	if err != nil {
		return fmt.Errorf("login page: %s", errKind(err))
	}
	csrf := formCSRF(page.body)
	if csrf == "" {
		return errors.New("login page: no csrf field")
	}
	form := url.Values{"email": {a.email}, "password": {a.password}, "csrf": {csrf}, "next": {""}}
	var ans *answer
	for attempt := 0; ; attempt++ {
		ans, err = b.do(ctx, http.MethodPost, "/login", form, nil, modeNavigate, kLogin)
		if err != nil {
			return fmt.Errorf("login: %s", errKind(err))
		}
		if ans.status != http.StatusServiceUnavailable || attempt == 30 {
			break
		}
		b.rec.fail("login: status 503 busy (tried again)")
		wait, _ := strconv.Atoi(ans.header.Get("Retry-After"))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(max(wait, 1)) * time.Second):
		}
	}
	if ans.status != http.StatusSeeOther {
		return fmt.Errorf("login: status %d", ans.status)
	}
	page, err = b.navigate(ctx, ans.header.Get("Location"), kLoginPage)
	if err != nil {
		return fmt.Errorf("after login: %s", errKind(err))
	}
	if page.url.Path != "/credentials" {
		if page, err = b.navigate(ctx, "/credentials", kCredentials); err != nil {
			return fmt.Errorf("credentials page: %s", errKind(err))
		}
	}
	if page.status != http.StatusOK {
		return fmt.Errorf("credentials page: status %d", page.status)
	}
	if bytes.Contains(page.body, []byte(account)) {
		return nil // an existing analyst with a credential for the account
	}
	return a.addCredential(ctx, formCSRF(page.body))
}

// addCredential posts the token for the account and checks that the
// dashboard's test of it passed.
func (a *analyst) addCredential(ctx context.Context, csrf string) error {
	if csrf == "" {
		return errors.New("credentials page: no csrf field")
	}
	page, err := a.b.submit(ctx, "/credentials", url.Values{
		"label": {"Load test"}, "account_id": {account}, "kind": {"token"}, "token": {a.token}, "csrf": {csrf},
	}, kCredentials)
	switch {
	case err != nil:
		return fmt.Errorf("add credential: %s", errKind(err))
	case page.status != http.StatusOK:
		return fmt.Errorf("add credential: status %d", page.status)
	case !bytes.Contains(page.body, []byte("Test passed")):
		return errors.New("add credential: the dashboard's test of the token did not pass")
	}
	return nil
}
