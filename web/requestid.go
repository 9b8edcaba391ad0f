package web

import (
	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/views"
)

// requestID gives every request an ID, sent back in X-Request-Id, logged
// with the request, sent to Cloudflare with each of its calls
// (apiclient.WithRequestID) and shown as the "reference" of every error
// sentence (views.WithReference). An ID from the client (or a proxy in front) is kept only
// when it is 1 to 64 characters of [A-Za-z0-9._-]; anything else is replaced
// by a new UUID, so a client can neither flood the log with a huge value nor
// put markup or control characters into it.
func requestID() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			id := req.Header.Get(echo.HeaderXRequestID)
			if !apiclient.ValidRequestID(id) {
				id = newRequestID()
			}
			req.Header.Set(echo.HeaderXRequestID, id) // the request logger reads it here
			c.SetRequest(req.WithContext(views.WithReference(apiclient.WithRequestID(req.Context(), id), id)))
			c.Response().Header().Set(echo.HeaderXRequestID, id)
			return next(c)
		}
	}
}
