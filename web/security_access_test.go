package web_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/respond/bulkjobs/web/webtest"
)

// routeCase is one route of the table with the status each kind of visitor
// gets. Anonymous visitors are always sent to the login page (303), except on
// the public routes.
type routeCase struct {
	method, path             string // path with :params filled in
	public                   bool
	viewer, responder, admin int
}

// routeTable covers every route the app registers; TestEveryRouteIsInTheTable
// fails when a new route is added without a line here.
func routeTable(credID string) map[string]routeCase {
	job := "/accounts/" + secAccount + "/jobs/" + secJob
	ok, see, forbid := http.StatusOK, http.StatusSeeOther, http.StatusForbidden
	return map[string]routeCase{
		"GET /healthz":      {method: "GET", path: "/healthz", public: true, viewer: ok, responder: ok, admin: ok},
		"GET /readyz":       {method: "GET", path: "/readyz", public: true, viewer: ok, responder: ok, admin: ok},
		"GET /static/*":     {method: "GET", path: "/static/js/app.js", public: true, viewer: ok, responder: ok, admin: ok},
		"GET /login":        {method: "GET", path: "/login", public: true, viewer: see, responder: see, admin: see},
		"POST /login":       {method: "POST", path: "/login", public: true, viewer: http.StatusUnauthorized, responder: http.StatusUnauthorized, admin: http.StatusUnauthorized},
		"POST /logout":      {method: "POST", path: "/logout", public: true, viewer: see, responder: see, admin: see},
		"GET /":             {method: "GET", path: "/", viewer: see, responder: see, admin: see},
		"GET /accounts":     {method: "GET", path: "/accounts", viewer: ok, responder: ok, admin: ok},
		"GET /credentials":  {method: "GET", path: "/credentials", viewer: ok, responder: ok, admin: ok},
		"POST /credentials": {method: "POST", path: "/credentials", viewer: http.StatusUnprocessableEntity, responder: http.StatusUnprocessableEntity, admin: http.StatusUnprocessableEntity},
		// The credential belongs to the responder: everyone else gets 404.
		"POST /credentials/:id/test":                      {method: "POST", path: "/credentials/" + credID + "/test", viewer: http.StatusNotFound, responder: see, admin: http.StatusNotFound},
		"POST /credentials/:id/delete":                    {method: "POST", path: "/credentials/" + credID + "/delete", viewer: http.StatusNotFound, responder: see, admin: http.StatusNotFound},
		"GET /accounts/:account_id/jobs":                  {method: "GET", path: "/accounts/" + secAccount + "/jobs", viewer: ok, responder: ok, admin: ok},
		"GET /accounts/:account_id/jobs/:job_id":          {method: "GET", path: job, viewer: ok, responder: ok, admin: ok},
		"GET /accounts/:account_id/jobs/:job_id/messages": {method: "GET", path: job + "/messages", viewer: see, responder: see, admin: see},
		"GET /accounts/:account_id/jobs/:job_id/card":     {method: "GET", path: job + "/card", viewer: see, responder: see, admin: see},
		// A fragment: a plain GET goes to the no-JS confirmation (htmx role checks: handlers/live_test.go).
		"GET /accounts/:account_id/jobs/:job_id/cancel-dialog": {method: "GET", path: job + "/cancel-dialog", viewer: see, responder: see, admin: see},
		"POST /accounts/:account_id/jobs/:job_id/cancel":       {method: "POST", path: job + "/cancel", viewer: forbid, responder: see, admin: see},
		"GET /account":           {method: "GET", path: "/account", viewer: ok, responder: ok, admin: ok},
		"POST /account/password": {method: "POST", path: "/account/password", viewer: http.StatusUnauthorized, responder: http.StatusUnauthorized, admin: http.StatusUnauthorized},
		"GET /audit":             {method: "GET", path: "/audit", viewer: ok, responder: ok, admin: ok},
		"GET /audit.csv":         {method: "GET", path: "/audit.csv", viewer: ok, responder: ok, admin: ok},
	}
}

func TestEveryRouteIsInTheTable(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	table := routeTable("x")
	for _, r := range app.Echo.Routes() {
		if _, ok := table[r.Method+" "+r.Path]; !ok {
			t.Errorf("route %s %s has no access-control case", r.Method, r.Path)
		}
	}
}

func TestAccessControlMatrix(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	credID := credentialOf(t, app, webtest.Responder)
	table := routeTable(credID)
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	// Deleting the credential comes last, after it was tested.
	sort.Slice(names, func(i, j int) bool {
		di, dj := strings.HasSuffix(names[i], "/delete"), strings.HasSuffix(names[j], "/delete")
		if di != dj {
			return dj
		}
		return names[i] < names[j]
	})
	// Logout and cancel change state: run them last, per role, on fresh sessions.
	for _, who := range []string{"anonymous", webtest.Viewer, webtest.Responder, webtest.Admin} {
		for _, name := range names {
			rc := table[name]
			var c *http.Client
			if who == "anonymous" {
				c = app.Browser(t)
			} else {
				c = app.Login(t, who)
			}
			want := map[string]int{webtest.Viewer: rc.viewer, webtest.Responder: rc.responder, webtest.Admin: rc.admin}[who]
			if who == "anonymous" {
				want = http.StatusSeeOther
				if rc.public {
					want = map[string]int{"GET /login": http.StatusOK, "POST /login": http.StatusUnauthorized}[name]
					if want == 0 {
						want = rc.viewer
					}
				}
			}
			var resp *http.Response
			if rc.method == http.MethodGet {
				resp, _ = app.Get(t, c, rc.path, false)
			} else {
				resp = app.PostForm(t, c, rc.path, url.Values{})
				resp.Body.Close()
			}
			if resp.StatusCode != want {
				t.Errorf("%s as %s: status %d, want %d", name, who, resp.StatusCode, want)
			}
			if who == "anonymous" && !rc.public && !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Errorf("%s as anonymous: Location %q, want the login page", name, resp.Header.Get("Location"))
			}
		}
	}
	// The viewer's refused cancel made no upstream call; the responder's and
	// the admin's went through once each at most.
	if n := app.UpstreamCalls(http.MethodPost, "/cancel"); n != 1 {
		t.Errorf("upstream cancels = %d, want 1 (responder; the admin's repeat is answered from a read)", n)
	}
}

// credentialOf returns the first credential ID of a test user.
func credentialOf(t *testing.T, app *webtest.App, email string) string {
	t.Helper()
	creds, err := app.Store.Credentials(t.Context(), app.Users[email].ID)
	if err != nil || len(creds) == 0 {
		t.Fatalf("credentials of %s: %v", email, err)
	}
	return creds[0].ID
}

// hostileSegments are IDs that must be refused before any upstream call.
var hostileSegments = []string{
	"..", "%2e%2e", "%2E%2E", "..%2F..%2Fuser%2Ftokens", "%2F", "x%23y", "x%3Fy=1",
	"%7B" + secJob + "%7D", "urn:uuid:" + secJob, strings.ToUpper(secJob),
	secJob + "0", secJob[:35], strings.Repeat("a", 300), "%00", "x%0Ay",
}

func TestHostileIDsOnEveryRoute(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	token := app.CSRF(t, c)
	app.Sim.ResetRequests()
	for _, bad := range hostileSegments {
		paths := []struct{ method, path string }{
			{"GET", "/accounts/" + bad + "/jobs"},
			{"GET", "/accounts/" + bad + "/jobs/" + secJob},
			{"GET", "/accounts/" + secAccount + "/jobs/" + bad},
			{"GET", "/accounts/" + secAccount + "/jobs/" + bad + "/messages"},
			{"GET", "/accounts/" + secAccount + "/jobs/" + bad + "/card"},
			{"GET", "/accounts/" + bad + "/jobs/" + secJob + "/card"},
			{"POST", "/accounts/" + secAccount + "/jobs/" + bad + "/cancel"},
			{"POST", "/accounts/" + bad + "/jobs/" + secJob + "/cancel"},
			{"POST", "/credentials/" + bad + "/test"},
			{"POST", "/credentials/" + bad + "/delete"},
		}
		for _, p := range paths {
			var status int
			if p.method == "GET" {
				resp, _ := app.Get(t, c, p.path, true)
				status = resp.StatusCode
			} else {
				resp, _ := app.HTMXPostToken(t, c, token, "/", p.path, url.Values{})
				status = resp.StatusCode
			}
			if status != http.StatusNotFound {
				t.Errorf("%s %s = %d, want 404", p.method, p.path, status)
			}
		}
	}
	if reqs := app.Sim.Requests(); len(reqs) != 0 {
		t.Errorf("hostile IDs made %d upstream calls, first %+v", len(reqs), reqs[0])
	}
}

// TestRenderedURLsMatchRoutes crawls the pages a responder and an admin see
// and checks that every URL the markup can send a request to is one of the
// app's routes built from valid IDs.
func TestRenderedURLsMatchRoutes(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	var patterns []*regexp.Regexp
	param := map[string]string{":account_id": `[0-9a-f]{32}`, ":job_id": `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`, ":id": `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`}
	for _, r := range app.Echo.Routes() {
		p := regexp.QuoteMeta(r.Path)
		for k, v := range param {
			p = strings.ReplaceAll(p, k, v)
		}
		p = strings.ReplaceAll(p, `/\*`, `/[A-Za-z0-9._/-]+`)
		patterns = append(patterns, regexp.MustCompile(`^`+p+`$`))
	}
	matches := func(u string) bool {
		for _, p := range patterns {
			if p.MatchString(u) {
				return true
			}
		}
		return false
	}
	pages := []string{"/accounts", "/accounts/" + secAccount + "/jobs", "/accounts/" + secAccount + "/jobs/" + secJob,
		"/accounts/" + secAccount + "/jobs/" + secJob + "?confirm=cancel", "/credentials", "/audit", "/account"}
	checked := 0
	for _, who := range []string{webtest.Responder, webtest.Admin} {
		c := app.Login(t, who)
		app.HTMXPost(t, c, "/", "/accounts/"+secAccount+"/jobs/"+secJob+"/cancel", url.Values{}) // an audit row with a job link
		for _, page := range pages {
			_, body := app.Get(t, c, page, false)
			d, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
			d.Find("[href], [action], [hx-get], [hx-post], [src]").Each(func(_ int, s *goquery.Selection) {
				for _, attr := range []string{"href", "action", "hx-get", "hx-post", "src"} {
					v, ok := s.Attr(attr)
					if !ok || strings.HasPrefix(v, "#") {
						continue
					}
					u, err := url.Parse(v)
					if err != nil || u.Scheme != "" || u.Host != "" {
						t.Errorf("%s: %s=%q is not a local URL", page, attr, v)
						continue
					}
					checked++
					if !matches(u.Path) {
						t.Errorf("%s: %s=%q matches no route", page, attr, v)
					}
				}
			})
		}
	}
	if checked < 50 {
		t.Errorf("only %d URLs checked", checked)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	resp := app.PostForm(t, c, "/credentials", url.Values{"label": {strings.Repeat("x", 200<<10)}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("200 KiB form: %d, want 413", resp.StatusCode)
	}
}

func TestNewlineInIDIsOneLogLine(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Responder)
	evil := `x%0A{"level":"ERROR","msg":"forged"}%0D%0Ay`
	app.Get(t, c, "/accounts/"+secAccount+"/jobs/"+evil, false)
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(app.Logs.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Errorf("log line is not one JSON record: %q", sc.Text())
			continue
		}
		if rec["msg"] == "forged" {
			t.Error("a forged log record appeared")
		}
		if p, _ := rec["path"].(string); strings.Contains(p, "forged") {
			lines++
		}
	}
	if lines != 1 {
		t.Errorf("the request produced %d log lines, want exactly 1", lines)
	}
}
