package handlers_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/respond/bulkjobs/web/webtest"
)

// readAll reads and closes a response body.
func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// doc parses HTML for goquery assertions.
func doc(t testing.TB, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// htmxGet requests path as htmx does from the page at page: HX-Request and
// HX-Current-URL (webtest's Get names the fragment itself as the page).
func htmxGet(t testing.TB, app *webtest.App, c *http.Client, page, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, app.URL+path, nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Current-URL", app.URL+page)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readAll(t, resp)
}
