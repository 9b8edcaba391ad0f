package handlers

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// render writes comp with status. It renders into a buffer first, so a failed
// render becomes a clean 500 instead of half a page.
func render(c echo.Context, status int, comp templ.Component) error {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	// Fragments and pages share URLs; caches must key on HX-Request.
	c.Response().Header().Add("Vary", HXRequest)
	return c.HTMLBlob(status, buf.Bytes()) // written (and compressed) before it returns
}

// renderBuffers are reused between renders: a fresh buffer grown by
// doubling for every page and poll was the dashboard's largest source of
// garbage after password hashing (2.2 GB in a 3-minute load test).
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer kept for reuse; a rare huge page
// is not kept alive for every later small one.
const maxPooledBuffer = 256 << 10

func putRenderBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	renderBuffers.Put(b)
}
