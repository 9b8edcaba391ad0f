package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web/webtest"
)

// The handler reads users and credentials through a store.Cache. These
// tests fill it with a poll first, then revoke, then poll again with no time
// passing: a change made through this process takes effect on the very next
// request. A change made by another process (app.Store, as the admin
// commands write) is enforced at once for anything that changes state and
// seen by polls within the cache's CheckEvery (1 s).

// pollCard polls the processing job's card as htmx does.
func pollCard(t *testing.T, app *webtest.App, c *http.Client) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, app.URL+jobsPath("/"+processingJob+"/card"), nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Trigger", "job-"+processingJob)
	req.Header.Set("HX-Current-URL", app.URL+jobPath(processingJob))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readAll(t, resp)
}

// sameBrowser returns a client holding c's cookies, as a second tab of the
// same browser whose requests were sent before any answer changed them.
func sameBrowser(t *testing.T, app *webtest.App, c *http.Client) *http.Client {
	t.Helper()
	tab := app.Browser(t)
	u, _ := url.Parse(app.URL)
	tab.Jar.SetCookies(u, c.Jar.Cookies(u))
	return tab
}

// wantSignedOut checks that a poll was sent to the login page.
func wantSignedOut(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("HX-Redirect"), "/login") {
		t.Errorf("%s: poll answered %d (HX-Redirect %q), want 401 to the login page", what, resp.StatusCode, resp.Header.Get("HX-Redirect"))
	}
}

// wantSignedIn checks that a poll was answered with the card.
func wantSignedIn(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: poll answered %d, want 200", what, resp.StatusCode)
	}
}

func TestRevocationReachesTheNextPoll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		revoke func(t *testing.T, app *webtest.App, other *http.Client)
	}{
		{"logout in another tab", func(t *testing.T, app *webtest.App, other *http.Client) {
			readAll(t, app.PostForm(t, other, "/logout", url.Values{}))
		}},
		{"password change on another device", func(t *testing.T, app *webtest.App, other *http.Client) {
			resp := app.PostForm(t, other, "/account/password", url.Values{
				"current": {webtest.Password}, "new": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}})
			if readAll(t, resp); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("password change: %d", resp.StatusCode)
			}
		}},
		{"role change", func(t *testing.T, app *webtest.App, _ *http.Client) {
			if err := app.Handler.Store.SetRole(ctx, app.Users[webtest.Responder].ID, store.RoleViewer); err != nil {
				t.Fatal(err)
			}
		}},
		{"disabled", func(t *testing.T, app *webtest.App, _ *http.Client) {
			if err := app.Handler.Store.SetDisabled(ctx, app.Users[webtest.Responder].ID, true); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := webtest.New(t, webtest.Options{})
			tab, other := app.Login(t, webtest.Responder), app.Login(t, webtest.Responder)
			token := app.CSRF(t, tab)
			resp, _ := pollCard(t, app, tab)
			wantSignedIn(t, "before", resp)
			resp, _ = pollCard(t, app, tab) // from the cache
			wantSignedIn(t, "before, cached", resp)
			second := sameBrowser(t, app, tab)
			tt.revoke(t, app, other)
			resp, _ = pollCard(t, app, tab)
			wantSignedOut(t, tt.name, resp)
			resp, _ = app.HTMXPostToken(t, second, token, jobPath(processingJob), cancelPath(processingJob), url.Values{})
			if resp.StatusCode == http.StatusOK || cancelPOSTs(app, processingJob) != 0 {
				t.Errorf("%s: cancel answered %d and sent %d POSTs, want refused", tt.name, resp.StatusCode, cancelPOSTs(app, processingJob))
			}
		})
	}
}

// TestRevocationByAnotherProcess: the admin commands write to the database
// from another process. A cancel is refused at once (state changes read the
// database); a poll is signed out once a second has passed.
func TestRevocationByAnotherProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		revoke func(app *webtest.App, id int64) error
	}{
		{"user role", func(app *webtest.App, id int64) error { return app.Store.SetRole(ctx, id, store.RoleViewer) }},
		{"user disable", func(app *webtest.App, id int64) error { return app.Store.SetDisabled(ctx, id, true) }},
		{"user passwd", func(app *webtest.App, id int64) error { return app.Store.SetPassword(ctx, id, "$argon2id$elsewhere") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := webtest.New(t, webtest.Options{})
			tab := app.Login(t, webtest.Responder)
			token := app.CSRF(t, tab)
			resp, _ := pollCard(t, app, tab)
			wantSignedIn(t, "before", resp)
			if err := tt.revoke(app, app.Users[webtest.Responder].ID); err != nil {
				t.Fatal(err)
			}
			// From a second tab: the refusal clears the cookie it answers.
			resp, _ = app.HTMXPostToken(t, sameBrowser(t, app, tab), token, jobPath(processingJob), cancelPath(processingJob), url.Values{})
			if resp.StatusCode != http.StatusUnauthorized || cancelPOSTs(app, processingJob) != 0 {
				t.Errorf("cancel right after %s elsewhere: %d, %d POSTs, want 401 and none", tt.name, resp.StatusCode, cancelPOSTs(app, processingJob))
			}
			app.Clock.Advance(time.Second)
			resp, _ = pollCard(t, app, tab)
			wantSignedOut(t, tt.name+" elsewhere, a second later", resp)
		})
	}
}

// TestDeletedCredentialReachesTheNextPoll: after a credential is deleted on
// this process the next poll says there is none; deleted on another replica,
// within a second.
func TestDeletedCredentialReachesTheNextPoll(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"this process", "another replica"} {
		t.Run(where, func(t *testing.T) {
			t.Parallel()
			app := webtest.New(t, webtest.Options{})
			tab := app.Login(t, webtest.Responder)
			resp, _ := pollCard(t, app, tab)
			wantSignedIn(t, "before", resp)
			creds, err := app.Store.Credentials(context.Background(), app.Users[webtest.Responder].ID)
			if err != nil {
				t.Fatal(err)
			}
			deleter := app
			if where == "another replica" {
				deleter = app.Replica(t)
			}
			for _, cr := range creds {
				if cr.AccountID == webtest.Account {
					resp := deleter.PostForm(t, tab, "/credentials/"+cr.ID+"/delete", url.Values{})
					if readAll(t, resp); resp.StatusCode != http.StatusSeeOther {
						t.Fatalf("delete: %d", resp.StatusCode)
					}
				}
			}
			if where == "another replica" {
				app.Clock.Advance(time.Second)
			}
			resp, body := pollCard(t, app, tab)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "no Cloudflare credential for this account") {
				t.Errorf("poll after the delete on %s: %d %q, want 403 saying there is no credential", where, resp.StatusCode, body)
			}
		})
	}
}

// countedSQLite counts the user and credential reads that reach the
// database. Embedding *store.SQLite keeps its sealed reads and its change
// counter for the cache.
type countedSQLite struct {
	*store.SQLite
	users, creds atomic.Int64
}

func (s *countedSQLite) UserByID(ctx context.Context, id int64) (store.User, error) {
	s.users.Add(1)
	return s.SQLite.UserByID(ctx, id)
}

func (s *countedSQLite) CredentialForAccount(ctx context.Context, userID int64, accountID string) (store.Credential, store.Secret, error) {
	s.creds.Add(1)
	return s.SQLite.CredentialForAccount(ctx, userID, accountID)
}

func (s *countedSQLite) SealedCredentialForAccount(ctx context.Context, userID int64, accountID string) (store.SealedCredential, error) {
	s.creds.Add(1)
	return s.SQLite.SealedCredentialForAccount(ctx, userID, accountID)
}

// TestPollsReadTheDatabaseOnce: ten card polls of two tabs within the
// cache's lifetime read the user and the credential from the database once.
func TestPollsReadTheDatabaseOnce(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	counted := &countedSQLite{SQLite: app.Store.(*store.SQLite)}
	app.Handler.Store = store.NewCache(counted, store.CacheOptions{Now: app.Clock.Now})
	tab := app.Login(t, webtest.Viewer)
	other := sameBrowser(t, app, tab)
	for i := range 10 {
		c := tab
		if i%2 == 1 {
			c = other
		}
		resp, _ := pollCard(t, app, c)
		wantSignedIn(t, "poll", resp)
		app.Clock.Advance(2 * time.Second)
	}
	if u, c := counted.users.Load(), counted.creds.Load(); u != 1 || c != 1 {
		t.Errorf("10 polls in 20 s read the user %d times and the credential %d times, want once each", u, c)
	}
}
