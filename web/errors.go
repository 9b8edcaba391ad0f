package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
)

// errorHandler is the single place errors become responses. Users get a short
// sentence; details go to the log once: 5xx at Error, 4xx at Warn.
func (a *app) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "Internal error. It has been logged; try again, and tell an administrator if it persists."
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(status)
		}
		if he.Code == http.StatusNotFound && he.Internal == nil && he.Message == "Not Found" {
			msg = "There is no page at this address."
		}
		if he.Code == http.StatusMethodNotAllowed {
			msg = "This address does not accept that kind of request."
		}
		if he.Code == http.StatusRequestEntityTooLarge {
			msg = "The request is too large."
		}
	case errors.Is(err, apiclient.ErrNotFound):
		status, msg = http.StatusNotFound, apiclient.Explain(err)
	case errors.Is(err, apiclient.ErrRateLimited):
		status, msg = http.StatusServiceUnavailable, apiclient.Explain(err)
	}
	attrs := []any{"status", status, "method", c.Request().Method, "path", c.Path(), "err", err.Error(),
		"request_id", c.Response().Header().Get(echo.HeaderXRequestID)}
	if status >= 500 {
		a.log.Error("request failed", attrs...)
	} else {
		a.log.Warn("request refused", attrs...)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if rerr := a.h.RenderError(c, status, msg); rerr != nil {
		a.log.Error("render error page", "err", rerr.Error())
		_ = c.String(status, msg)
	}
}
