package handlers

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// htmx request and response header names (https://htmx.org/reference/#headers).
const (
	HXRequest    = "HX-Request"
	HXBoosted    = "HX-Boosted"
	HXCurrentURL = "HX-Current-URL"
	HXTrigger    = "HX-Trigger"
	HXRedirect   = "HX-Redirect"
	HXRetarget   = "HX-Retarget"
	HXReswap     = "HX-Reswap"
)

// isPoll reports whether the request is a live region refreshing itself (the
// job list or a job card), not something the analyst did.
func isPoll(c echo.Context) bool {
	h := c.Request().Header
	trigger := h.Get(HXTrigger)
	return c.Request().Method == "GET" && h.Get(HXRequest) == "true" &&
		(trigger == "job-list" || strings.HasPrefix(trigger, "job-") && !strings.HasSuffix(trigger, "-cancel"))
}

// isFragment reports whether the request wants a fragment rather than a full
// page: an htmx request that is not boosted.
func isFragment(c echo.Context) bool {
	h := c.Request().Header
	return h.Get(HXRequest) == "true" && h.Get(HXBoosted) != "true"
}
