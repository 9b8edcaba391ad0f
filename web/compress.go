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
// 304 and adds Vary: Accept-Encoding. Dynamic answers are gzip only, in
// gzip's stateless mode, so that the memory of compressing is bounded by
// the answers in flight at about 14 KB each (see below). Static files are
// skipped: the static package serves copies compressed once at start-up
// (gzip at its best level, made once).
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
		// Stateless gzip keeps no window between writes: about 14 KB per
		// response being compressed, against 1065 KB at the default level
		// and 680 KB for gzhttp's zstd encoder. A response is rendered
		// whole and written in one go, so it compresses within 6% of the
		// default level (a 118 KB job list: 13.8 against 13.0 KB). The
		// state is per response in flight, so at the default level 1,500
		// tabs on a slow machine held 900 MB in compressors alone.
		gzhttp.CompressionLevel(gzip.StatelessCompression),
		gzhttp.EnableZstd(false),
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
