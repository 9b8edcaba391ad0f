package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/cfsim"
)

// A deploy (SIGTERM) during a slow cancel: /readyz turns 503 at once, the
// process waits for the cancel to finish, and its audit row records the
// outcome. The cancel takes longer than the old fixed 10 s grace.
func TestShutdownLetsASlowCancelFinish(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 11 s of real time")
	}
	t.Parallel()
	sim, err := cfsim.New(cfsim.DemoConfig(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var cancelsArrived atomic.Int32
	simSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/cancel") {
			cancelsArrived.Add(1)
		}
		sim.ServeHTTP(w, r)
	}))
	defer simSrv.Close()
	sim.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointCancel, Kind: cfsim.FaultLatency, Latency: 11 * time.Second, Count: 1})

	dir := t.TempDir()
	vars := map[string]string{
		"DASHBOARD_DATA_DIR": dir, "DASHBOARD_API_BASE_URL": simSrv.URL + "/client/v4",
		"DASHBOARD_SHUTDOWN_DELAY": "1s",
	}
	env, _ := testEnv([]string{"user", "add", "--email", "ana@example.com", "--role", "responder", "--password-stdin"}, vars, "long enough password\n")
	if err := run(context.Background(), env); err != nil {
		t.Fatalf("user add: %v", err)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	addrc := make(chan string, 1)
	env, _ = testEnv([]string{"serve", "-addr", "127.0.0.1:0"}, vars, "")
	env.ready = func(addr string) { addrc <- addr }
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, env) }()
	base := "http://" + <-addrc
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) *http.Response {
		t.Helper()
		resp, err := c.Get(base + "/login")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if csrf := between(string(body), `name="csrf" value="`, `"`); csrf != "" {
			form.Set("csrf", csrf)
		}
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		if resp, err = c.Do(req); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	csrfFrom := func(path string) string {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return between(string(body), `name="csrf" value="`, `"`)
	}
	if resp := post("/login", url.Values{"email": {"ana@example.com"}, "password": {"long enough password"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	form := url.Values{"label": {"sim"}, "account_id": {cfsim.DemoAccountID}, "kind": {"token"},
		"token": {cfsim.DemoWriteToken}, "csrf": {csrfFrom("/credentials")}}
	if resp := post("/credentials", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add credential: %d", resp.StatusCode)
	}
	const job = "52fb7adc-02ed-4225-a484-c02787b1eed3" // PROCESSING in the demo data
	jobPath := "/accounts/" + cfsim.DemoAccountID + "/jobs/" + job
	cancelForm := url.Values{"reason": {"wrong search"}, "csrf": {csrfFrom(jobPath)}}
	cancelDone := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+jobPath+"/cancel", strings.NewReader(cancelForm.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		resp, err := c.Do(req)
		if err != nil {
			cancelDone <- 0
			return
		}
		resp.Body.Close()
		cancelDone <- resp.StatusCode
	}()
	for deadline := time.Now().Add(10 * time.Second); cancelsArrived.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the cancel never reached the simulator")
		}
	}
	stop() // SIGTERM
	time.Sleep(100 * time.Millisecond)
	resp, err := http.Get(base + "/readyz")
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining: %v %v, want 503", resp, err)
	}
	if err := <-errc; err != nil {
		t.Errorf("run() = %v, want a clean shutdown after the cancel", err)
	}
	if code := <-cancelDone; code != http.StatusSeeOther {
		t.Errorf("the responder's cancel got %d, want its 303", code)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "dashboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var outcome string
	if err := db.QueryRow(`SELECT outcome FROM audit_events WHERE action = 'job_cancel' AND job_id = ?`, job).Scan(&outcome); err != nil || outcome != "ok" {
		t.Errorf("audit row: %q, %v; want outcome ok", outcome, err)
	}
}
