package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/web/webtest"
)

// TestStaticDirectoriesAreNotListed: /static/ and its folders are 404s, not
// listings of the files; the files themselves are served.
func TestStaticDirectoriesAreNotListed(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Browser(t)
	for _, p := range []string{"/static/", "/static/js/", "/static/css/", "/static/img/", "/static/js", "/static/js/index.html"} {
		resp, body := app.Get(t, c, p, false)
		if resp.StatusCode == http.StatusOK || strings.Contains(body, "app.js") || strings.Contains(body, "htmx.min.js") {
			t.Errorf("GET %s = %d, lists files: %.200q", p, resp.StatusCode, body)
		}
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			continue // FileServer's redirect of …/index.html to the folder, which is a 404
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := app.Get(t, c, "/static/js/app.js", false); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /static/js/app.js = %d, want 200", resp.StatusCode)
	}
}
