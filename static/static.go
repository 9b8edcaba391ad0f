// Package static holds the dashboard's browser assets: app.css, app.js and
// the vendored htmx (see js/VENDORED.md). They are embedded in the binary and
// served under /static/.
package static

import (
	"embed"
	"io/fs"
	"net/http"
)

// FS holds css/ and js/, served under /static/ (so /static/js/app.js is
// js/app.js in FS).
//
//go:embed css js img
var FS embed.FS

// Handler serves the files of FS, for a path with /static/ stripped. A
// directory is not found: http.FileServer would list its files.
func Handler() http.Handler { return http.FileServerFS(filesOnly{FS}) }

// filesOnly is an FS whose directories do not exist.
type filesOnly struct{ fs.FS }

// Open opens name, unless it is a directory.
func (f filesOnly) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := file.Stat()
	if err == nil && st.IsDir() {
		err = &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if err != nil {
		file.Close()
		return nil, err
	}
	return file, nil
}
