package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkMiddleware is what the metrics add to every request: the route
// label, a counter and a histogram.
func BenchmarkMiddleware(b *testing.B) {
	m, err := New(prometheus.NewRegistry(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		mw   []echo.MiddlewareFunc
	}{{"bare", nil}, {"metrics", []echo.MiddlewareFunc{m.Middleware()}}} {
		b.Run(tt.name, func(b *testing.B) {
			e := echo.New()
			e.Use(tt.mw...)
			e.GET("/accounts/:account_id/jobs/:job_id/card", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
			req := httptest.NewRequest(http.MethodGet, "/accounts/0123456789abcdef0123456789abcdef/jobs/52fb7adc-02ed-4225-a484-c02787b1eed3/card", nil)
			b.ReportAllocs()
			for b.Loop() {
				e.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
