package handlers

import (
	"bytes"
	"fmt"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// render writes comp with status. It renders into a buffer first, so a failed
// render becomes a clean 500 instead of half a page.
func render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	// Fragments and pages share URLs; caches must key on HX-Request.
	c.Response().Header().Add("Vary", HXRequest)
	return c.HTMLBlob(status, buf.Bytes())
}
