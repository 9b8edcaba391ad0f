package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func fuzzManager(tb testing.TB) *SessionManager {
	key := make([]byte, 32)
	m, err := NewSessionManager([]KeyPair{{Hash: key, Block: key}}, false, time.Hour, 12*time.Hour, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// FuzzSafeNext: whatever comes in, the return target is a local path.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/accounts/x/jobs?status=PENDING", "//evil.example", "/\\evil", "/%5Cevil", "https://x",
		"/%2F%2Fevil", "javascript:alert(1)", "/a\r\nb", "/%0d%0a", "", "\\\\evil", "/.//evil", "/%252F%252Fevil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := SafeNext(in)
		if out == "/" {
			return
		}
		if out != in {
			t.Fatalf("SafeNext(%q) = %q: neither the input nor /", in, out)
		}
		u, err := url.Parse(out)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(out, "/") ||
			strings.HasPrefix(out, "//") || strings.ContainsAny(out, "\\\r\n\t\x00") {
			t.Fatalf("SafeNext(%q) = %q leaves the site", in, out)
		}
		// What a browser would resolve it to stays on our host.
		base, _ := url.Parse("https://dash.example/")
		if r := base.ResolveReference(u); r.Host != "dash.example" {
			t.Fatalf("SafeNext(%q) resolves to host %q", in, r.Host)
		}
	})
}

// FuzzSessionCookie: any cookie value decodes to an anonymous session or
// nothing, never a panic and never a signed-in user.
func FuzzSessionCookie(f *testing.F) {
	m := fuzzManager(f)
	good := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	s := m.load(req)
	s.login(42, 1, time.Now())
	if err := m.save(echo.New().NewContext(req, good), s); err != nil {
		f.Fatal(err)
	}
	valid := strings.SplitN(strings.TrimPrefix(good.Header().Get("Set-Cookie"), "dash_session="), ";", 2)[0]
	// A genuine cookie signs in (checked here once); the fuzzer mutates a
	// truncated one. Each fuzz worker makes its own, so it is no seed.
	if s := m.load(cookieRequest(valid)); s.userID() != 42 {
		f.Fatal("a genuine cookie does not decode")
	}
	f.Add(valid[:len(valid)/2])
	f.Add(valid[:len(valid)-3] + "AAA")
	f.Add("")
	f.Add("MTc5NTg5MDY2OXx8")
	f.Fuzz(func(t *testing.T, value string) {
		s := m.load(cookieRequest(value))
		uid := s.userID()
		if uid != 0 && value != valid {
			t.Fatalf("cookie %q decoded to user %d", value, uid)
		}
		if s.CSRFToken() == "" {
			t.Fatal("no CSRF token")
		}
	})
}

// cookieRequest is a request carrying value as the session cookie.
func cookieRequest(value string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Cookie", "dash_session="+value)
	return req
}

// FuzzCSRFToken: a state-changing request passes only with the session's own
// token.
func FuzzCSRFToken(f *testing.F) {
	m := fuzzManager(f)
	h := &Handler{Sessions: m}
	e := echo.New()
	mw := h.RequireCSRF(http.NewCrossOriginProtection())
	const want = "the-real-token-0123456789abcdef"
	f.Add(want)
	f.Add("")
	f.Add(want[:10])
	f.Add(want + " ")
	f.Add(strings.ToUpper(want))
	f.Fuzz(func(t *testing.T, token string) {
		req := httptest.NewRequest(http.MethodPost, "/x", nil)
		req.Header.Set("X-CSRF-Token", token)
		rec := httptest.NewRecorder()
		c := e.NewContext(req, rec)
		s := m.load(req)
		s.data.CSRF = want
		c.Set(ctxSession, s)
		passed := false
		err := mw(func(echo.Context) error { passed = true; return nil })(c)
		if passed != (token == want) {
			t.Fatalf("token %q: passed = %v (err %v)", token, passed, err)
		}
	})
}
