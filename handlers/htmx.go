package handlers

import "github.com/labstack/echo/v4"

// htmx request and response header names (https://htmx.org/reference/#headers).
const (
	HXRequest    = "HX-Request"
	HXBoosted    = "HX-Boosted"
	HXCurrentURL = "HX-Current-URL"
	HXTarget     = "HX-Target"
	HXRedirect   = "HX-Redirect"
	HXPushURL    = "HX-Push-Url"
	HXRetarget   = "HX-Retarget"
	HXReswap     = "HX-Reswap"
)

// isFragment reports whether the request wants a fragment rather than a full
// page: an htmx request that is not boosted.
func isFragment(c echo.Context) bool {
	h := c.Request().Header
	return h.Get(HXRequest) == "true" && h.Get(HXBoosted) != "true"
}
