package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

// TestDeleteCredentialTwiceIsAlreadyDeleted clicks "Delete" ten times at once
// (a double click, many times over) and once more afterwards: exactly one
// request deletes, every other one is told the credential is already deleted,
// and none is an error page.
func TestDeleteCredentialTwiceIsAlreadyDeleted(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Nobody)
	readAll(t, app.PostForm(t, c, "/credentials", url.Values{
		"label": {"double click"}, "account_id": {webtest.Account}, "kind": {"token"}, "token": {cfsim.DemoWriteToken}}))
	creds, _ := app.Store.Credentials(context.Background(), app.Users[webtest.Nobody].ID)
	if len(creds) != 1 {
		t.Fatalf("%d credentials, want 1", len(creds))
	}
	path := "/credentials/" + creds[0].ID + "/delete"
	csrf := app.CSRF(t, c)

	const clicks = 10
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		statuses [clicks]int
		errs     [clicks]error
	)
	for i := range clicks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, app.URL+path, strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", app.URL)
			<-start
			resp, err := c.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	for i := range clicks {
		if errs[i] != nil {
			t.Fatalf("click %d: %v", i, errs[i])
		}
		if statuses[i] != http.StatusSeeOther {
			t.Errorf("click %d: status %d, want 303", i, statuses[i])
		}
	}
	// One more, after all of them: still no error.
	resp := app.PostForm(t, c, path, url.Values{})
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete after delete: status %d, want 303", resp.StatusCode)
	}
	_, page := app.Get(t, c, "/credentials", false)
	if !strings.Contains(page, "“double click” was already deleted") {
		t.Error("the page after a repeated delete does not say the credential was already deleted")
	}
	// Testing it from a page left open is answered the same way.
	resp = app.PostForm(t, c, "/credentials/"+creds[0].ID+"/test", url.Values{})
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("test after delete: status %d, want 303", resp.StatusCode)
	}
	if _, page := app.Get(t, c, "/credentials", false); !strings.Contains(page, "was already deleted") {
		t.Error("testing a deleted credential does not say it was already deleted")
	}
	if strings.Contains(app.Logs.String(), `"status":500`) {
		t.Error("a delete was logged as a 500")
	}
	if creds, _ := app.Store.Credentials(context.Background(), app.Users[webtest.Nobody].ID); len(creds) != 0 {
		t.Errorf("%d credentials left, want 0", len(creds))
	}
}
