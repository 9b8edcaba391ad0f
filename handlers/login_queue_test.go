package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/respond/bulkjobs/handlers"
	"github.com/respond/bulkjobs/web/webtest"
)

// A login that finds every hashing slot busy waits in line and gets
// through once one frees, instead of being told to try again.
func TestLoginWaitsForAHashingSlot(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Browser(t)
	form := url.Values{"email": {webtest.Responder}, "password": {webtest.Password}, "csrf": {app.CSRF(t, c)}}
	release := app.Handler.FillHashSlots()
	status := make(chan int, 1)
	go func() {
		resp := app.PostForm(t, c, "/login", form)
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	waitFor(t, func() bool { return app.Handler.HashWaiters() == 1 })
	release()
	if st := <-status; st != http.StatusSeeOther {
		t.Fatalf("queued login: status %d, want 303", st)
	}
}

// The line is bounded: with it full, a login is refused at once with 503,
// Retry-After and a sentence, and its password is not checked.
func TestLoginQueueIsBounded(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Browser(t)
	form := url.Values{"email": {webtest.Responder}, "password": {webtest.Password}, "csrf": {app.CSRF(t, c)}}
	release := app.Handler.FillHashSlots()
	defer release()
	app.Handler.AddHashWaiters(handlers.MaxHashWaiters)
	defer app.Handler.AddHashWaiters(-handlers.MaxHashWaiters)
	resp := app.PostForm(t, c, "/login", form)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("login with a full queue: status %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
