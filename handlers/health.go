package handlers

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Healthz handles GET /healthz: the process is up.
func (h *Handler) Healthz(c echo.Context) error { return c.String(http.StatusOK, "ok\n") }

// Drain makes /readyz answer 503 from now on: the process is shutting down.
func (h *Handler) Drain() { h.draining.Store(true) }

// Readyz handles GET /readyz: the database answers and the process is not
// shutting down.
func (h *Handler) Readyz(c echo.Context) error {
	if h.draining.Load() {
		return c.String(http.StatusServiceUnavailable, "draining: shutting down, in-flight requests are finishing\n")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := h.Store.Ping(ctx); err != nil {
		h.Log.Error("readiness: database unreachable", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	return c.String(http.StatusOK, "ready\n"+h.readyWarnings())
}

// readyWarnings returns the lines of ReadyWarnings, each ending in a newline.
func (h *Handler) readyWarnings() string {
	if h.ReadyWarnings == nil {
		return ""
	}
	var b strings.Builder
	for _, w := range h.ReadyWarnings() {
		b.WriteString(w + "\n")
	}
	return b.String()
}
