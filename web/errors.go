package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// errorHandler is the single place errors become responses. Users get a short
// sentence; the details reach the log once, on the request's line written by
// requestLogger (5xx at Error, 4xx at Warn).
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
