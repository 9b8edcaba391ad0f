package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// BenchmarkSessionLoad decodes a signed-in session cookie, as every request
// does.
func BenchmarkSessionLoad(b *testing.B) {
	m := fuzzManager(b)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	s := m.load(req)
	s.login(42, 1, time.Now())
	if err := m.save(echo.New().NewContext(req, rec), s); err != nil {
		b.Fatal(err)
	}
	value := strings.SplitN(strings.TrimPrefix(rec.Header().Get("Set-Cookie"), "dash_session="), ";", 2)[0]
	r := cookieRequest(value)
	b.ReportAllocs()
	for b.Loop() {
		if m.load(r).userID() != 42 {
			b.Fatal("not signed in")
		}
	}
}
