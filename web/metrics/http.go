package metrics

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// unmatched is the route label of a request that matched no route.
const unmatched = "unmatched"

// Middleware counts and times every request by Echo's route pattern
// (c.Path(), such as /accounts/:account_id/jobs/:job_id/card), never the
// URL: the URL is unbounded and holds IDs. It goes first, outside the
// request logger, which has the error handler answer an error before it
// returns, so the status counted is the one sent.
func (m *Metrics) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			status := c.Response().Status
			if err != nil && !c.Response().Committed {
				status = statusOf(err) // the error handler answers after us
			}
			s := m.series(seriesKey{route: m.routes.label(c), method: methodLabel(c.Request().Method), status: status})
			s.requests.Inc()
			s.duration.Observe(time.Since(start).Seconds())
			if s.unchanged != nil {
				s.unchanged.Inc()
			}
			return err
		}
	}
}

// seriesKey names the series of one kind of request; every field is
// bounded (route patterns, known methods, the statuses the app sends).
type seriesKey struct {
	route, method string
	status        int
}

// httpSeries are the series of one kind of request, looked up once: the
// label lookups would otherwise cost more than the rest of the middleware.
type httpSeries struct {
	requests  prometheus.Counter
	duration  prometheus.Observer
	unchanged prometheus.Counter // nil unless the status is 204 or 304
}

// series returns k's series.
func (m *Metrics) series(k seriesKey) *httpSeries {
	if s, ok := m.httpSeries.Load(k); ok {
		return s.(*httpSeries)
	}
	s := &httpSeries{
		requests: m.httpRequests.WithLabelValues(k.route, k.method, strconv.Itoa(k.status)),
		duration: m.httpDuration.WithLabelValues(k.route, k.method),
	}
	if k.status == http.StatusNoContent || k.status == http.StatusNotModified {
		s.unchanged = m.httpUnchanged.WithLabelValues(k.route)
	}
	got, _ := m.httpSeries.LoadOrStore(k, s)
	return got.(*httpSeries)
}

// statusOf is the status the error handler gives err.
func statusOf(err error) int {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he.Code
	}
	return http.StatusInternalServerError
}

// methodLabel keeps the method label bounded: a client may send any word.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// routeSet is the set of route patterns registered with Echo. A request's
// c.Path() is labelled only when it is one of them, so no value a client
// sends can ever become a label.
type routeSet struct {
	mu    sync.RWMutex
	known map[string]bool
}

// label returns c's route pattern, or "unmatched".
func (s *routeSet) label(c echo.Context) string {
	p := c.Path()
	if p == "" {
		return unmatched
	}
	s.mu.RLock()
	ok := s.known[p]
	s.mu.RUnlock()
	if ok {
		return p
	}
	// Routes may be added after the first request (tests do): look again.
	known := map[string]bool{}
	for _, r := range c.Echo().Routes() {
		known[r.Path] = true
	}
	s.mu.Lock()
	s.known = known
	s.mu.Unlock()
	if known[p] {
		return p
	}
	return unmatched
}
