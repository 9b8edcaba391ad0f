// Package static holds the dashboard's browser assets: app.css, app.js, the
// favicon and the vendored htmx (see js/VENDORED.md). They are embedded in
// the binary, hashed and compressed once (assets.go) and served under
// /static/. It imports the standard library only, so views may use Path.
package static

import "embed"

// FS holds css/, img/ and js/, served under /static/ (so /static/js/app.js
// is js/app.js in FS).
//
//go:embed css js img
var FS embed.FS
