package web

import (
	"mime"
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
	"github.com/labstack/echo/v4"
)

// minCompressSize is the smallest body worth compressing: below about a
// kilobyte the answer fits in one packet either way.
const minCompressSize = 1024

// compressibleTypes are the types compress answers in gzip or zstd: pages,
// htmx fragments, the audit CSV, JSON and text. Anything else (images,
// archives, event streams) is sent as it is.
var compressibleTypes = map[string]bool{
	"text/html": true, "text/css": true, "text/javascript": true, "application/javascript": true,
	"text/csv": true, "text/plain": true, "application/json": true, "image/svg+xml": true,
}

// compress encodes dynamic answers for clients that accept it, with
// klauspost/compress's gzhttp rather than Echo's middleware.Gzip: gzhttp
// waits for minCompressSize bytes before it decides (Echo's compresses
// everything or needs its own buffering), filters by Content-Type, leaves
// answers that already have a Content-Encoding alone, never encodes a 204 or
// 304, adds Vary: Accept-Encoding, and offers zstd, which Chromium and
// Firefox accept and which is about a quarter smaller than gzip on the job
// list at the same cost. gzip stays for every other client. Static files are
// skipped: the static package serves copies compressed once at start-up.
//
// compress must be the outermost middleware: the request logger runs the
// error handler (HandleError), and an error page must be written while the
// compressing writer is still in place, not after it has been closed.
//
// Compressing a page that holds a secret next to text an attacker chose is
// the BREACH side channel; the CSRF token is masked afresh in every answer
// for that reason (handlers/csrfmask.go, SECURITY.md).
func compress() echo.MiddlewareFunc {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.MinSize(minCompressSize),
		gzhttp.CompressionLevel(gzip.DefaultCompression),
		gzhttp.ContentTypeFilter(func(ct string) bool {
			mt, _, _ := mime.ParseMediaType(ct)
			return compressibleTypes[mt]
		}),
	)
	if err != nil {
		panic("web: gzhttp options: " + err.Error()) // constant options
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if strings.HasPrefix(c.Request().URL.Path, "/static/") {
				return next(c)
			}
			var err error
			res := c.Response()
			plain := res.Writer
			wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				res.Writer = w
				c.SetRequest(r)
				err = next(c)
			})).ServeHTTP(plain, c.Request())
			res.Writer = plain
			return err
		}
	}
}
