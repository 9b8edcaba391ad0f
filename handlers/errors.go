package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/views"
)

// RenderError answers with a full error page, or for an htmx request with an
// alert swapped into #flash out of band. The message is a sentence for the
// analyst; details belong in the log.
func (h *Handler) RenderError(c echo.Context, status int, message string) error {
	if isFragment(c) {
		c.Response().Header().Set(HXRetarget, "#flash")
		c.Response().Header().Set(HXReswap, "outerHTML")
		return render(c, status, views.ErrorAlert(message))
	}
	heading := http.StatusText(status)
	switch status {
	case http.StatusNotFound:
		heading = "Not found"
	case http.StatusForbidden:
		heading = "Not allowed"
	}
	data := views.ErrorData{Page: h.page(c, heading, ""), Status: status, Heading: heading, Message: message}
	return render(c, status, views.ErrorPage(data))
}

// withReference ends an error sentence kept for the next page (a flash) with
// this request's reference: the views add it to the sentences they render
// for the request itself, but a flash is shown by the next one.
func withReference(c echo.Context, msg string) string {
	if ref := views.Reference(c.Request().Context()); ref != "" && msg != "" {
		return msg + " (reference: " + ref + ")"
	}
	return msg
}
