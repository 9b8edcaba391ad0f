package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/respond/bulkjobs/handlers"
	"github.com/respond/bulkjobs/static"
	"github.com/respond/bulkjobs/web/metrics"
)

// Limits applied to every request.
const (
	bodyLimit = "64K" // forms only: a credential, a reason, a login
)

// contentSecurityPolicy allows our own scripts and styles only: no inline
// script, no eval, no plugins, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"

// app holds what the error handler needs.
type app struct {
	h   *handlers.Handler
	log *slog.Logger
}

// Option configures New.
type Option func(*options)

type options struct {
	metrics *metrics.Metrics
}

// WithMetrics counts and times every request in m (see web/metrics). The
// metrics are served by m.Handler on a listener of their own, never here.
func WithMetrics(m *metrics.Metrics) Option { return func(o *options) { o.metrics = m } }

// New assembles the Echo application: middleware in order, the route table,
// the error handler and the embedded static files.
func New(cfg Config, h *handlers.Handler, log *slog.Logger, opts ...Option) *echo.Echo {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	a := &app{h: h, log: log}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.errorHandler
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	if len(cfg.TrustedProxies) == 0 {
		log.Warn("no trusted proxies configured (DASHBOARD_TRUSTED_PROXIES): X-Forwarded-For is ignored and each request counts " +
			"under its direct peer; behind a reverse proxy every analyst shares the proxy's address, its login limit and its audit address")
	}
	forwarded := newForwardedWatch(cfg.TrustedProxies, log, h.Now)
	h.ReadyWarnings = forwarded.warnings

	e.Use(compress()) // outermost: see compress
	if o.metrics != nil {
		e.Use(o.metrics.Middleware()) // first: it counts the status the request logger's error handling sent
	}
	e.Use(requestID())
	e.Use(requestLogger(log))
	e.Use(forwarded.middleware)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			log.Error("panic", "err", err.Error(), "path", c.Path(), "stack", string(stack))
			return err
		}}))
	e.Use(securityHeaders(cfg.Secure()))
	e.Use(middleware.BodyLimit(bodyLimit))

	// Hashed, precompressed, with their own Cache-Control and ETag (static.Handler).
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", static.Handler())))

	cop := http.NewCrossOriginProtection()
	if cfg.PublicURL != nil {
		_ = cop.AddTrustedOrigin(cfg.PublicURL.Scheme + "://" + cfg.PublicURL.Host)
	}
	routes(e, h, cop)
	return e
}

// securityHeaders sets the browser hardening headers on every response, error
// pages and 404s included.
func securityHeaders(secure bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			if secure {
				h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
			}
			return next(c)
		}
	}
}

// ipExtractor takes the client address from X-Forwarded-For only when the
// direct peer is a configured trusted proxy; otherwise the peer address. Echo's
// default would trust any X-Forwarded-For.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	var opts []echo.TrustOption
	opts = append(opts, echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(prefixToIPNet(p)))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// requestLogger logs exactly one line per request through slog, at Info,
// Warn for 4xx or Error for 5xx, with the error when there was one. The error
// handler runs first (HandleError), so the status is the one sent. The path
// is logged without the query; slog quotes or escapes every value, so a
// newline in a path cannot start a second line.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogMethod: true, LogURIPath: true, LogLatency: true, LogRequestID: true, LogRemoteIP: true,
		LogRoutePath: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			switch {
			case v.Status >= 500:
				level = slog.LevelError
			case v.Status >= 400:
				level = slog.LevelWarn
			}
			attrs := []slog.Attr{
				slog.String("method", v.Method), slog.String("path", strings.ToValidUTF8(v.URIPath, "?")),
				slog.String("route", v.RoutePath), slog.Int("status", v.Status),
				slog.Float64("latency_ms", float64(v.Latency)/float64(time.Millisecond)),
				slog.String("request_id", v.RequestID), slog.String("remote_ip", v.RemoteIP),
			}
			if v.Error != nil {
				attrs = append(attrs, slog.String("err", v.Error.Error()))
			}
			log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}
