// Package static holds the dashboard's browser assets: app.css, app.js and
// the vendored htmx (see js/VENDORED.md). They are embedded in the binary and
// served under /static/.
package static

import "embed"

// FS holds css/ and js/, served under /static/ (so /static/js/app.js is
// js/app.js in FS).
//
//go:embed css js img
var FS embed.FS
