package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/cfsim"
)

// syncBuffer collects the log across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs "serve" with vars until the test ends and returns the
// dashboard's address, the metrics listener's ("" when none) and the log.
func startServe(t *testing.T, vars map[string]string) (string, string, *syncBuffer) {
	t.Helper()
	sim, err := cfsim.New(cfsim.DemoConfig(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	vars["DASHBOARD_DATA_DIR"] = t.TempDir()
	vars["DASHBOARD_API_BASE_URL"] = simSrv.URL + "/client/v4"
	vars["DASHBOARD_SHUTDOWN_DELAY"] = "0s"
	ctx, stop := context.WithCancel(context.Background())
	env, _ := testEnv([]string{"serve", "-addr", "127.0.0.1:0"}, vars, "")
	logs := &syncBuffer{}
	env.stderr = logs
	addrc, metricsc := make(chan string, 1), make(chan string, 1)
	env.ready = func(addr string) { addrc <- addr }
	env.metricsReady = func(addr string) { metricsc <- addr }
	var runErr error
	done := make(chan struct{})
	go func() { runErr = run(ctx, env); close(done) }()
	t.Cleanup(func() {
		stop()
		<-done
		if runErr != nil {
			t.Errorf("run() = %v", runErr)
		}
	})
	select {
	case addr := <-addrc:
		select {
		case m := <-metricsc:
			return addr, m, logs
		default:
			return addr, "", logs
		}
	case <-done:
		t.Fatalf("run() = %v before listening", runErr)
	case <-time.After(30 * time.Second):
		t.Fatal("the dashboard did not start")
	}
	return "", "", nil
}

func get(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// With DASHBOARD_METRICS_ADDR, /metrics is served there and only there;
// the dashboard's own listener answers 404 for it.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	t.Parallel()
	addr, maddr, logs := startServe(t, map[string]string{"DASHBOARD_METRICS_ADDR": "127.0.0.1:0"})
	if maddr == "" || maddr == addr {
		t.Fatalf("metrics address %q (dashboard %q)", maddr, addr)
	}
	if code, _ := get(t, http.MethodGet, "http://"+addr+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d", code)
	}
	if code, body := get(t, http.MethodGet, "http://"+addr+"/metrics"); code != http.StatusNotFound || strings.Contains(body, "dashboard_") {
		t.Errorf("/metrics on the dashboard's listener: %d\n%.200s", code, body)
	}
	code, body := get(t, http.MethodGet, "http://"+maddr+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{`dashboard_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		`dashboard_http_requests_total{code="404",method="GET",route="unmatched"} 1`, "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, _ := get(t, http.MethodGet, "http://"+maddr+"/"); code != http.StatusNotFound {
		t.Errorf("GET / on the metrics listener: %d, want 404", code)
	}
	if code, _ := get(t, http.MethodPost, "http://"+maddr+"/metrics"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d, want 405", code)
	}
	if !strings.Contains(logs.String(), `"msg":"metrics listening","addr":"`+maddr+`"`) {
		t.Errorf("start-up log does not name the metrics address %s:\n%s", maddr, logs)
	}
}

// Without DASHBOARD_METRICS_ADDR no metrics listener starts.
func TestMetricsOffByDefault(t *testing.T) {
	t.Parallel()
	addr, maddr, logs := startServe(t, map[string]string{})
	if maddr != "" || strings.Contains(logs.String(), "metrics listening") {
		t.Errorf("a metrics listener started at %q without DASHBOARD_METRICS_ADDR", maddr)
	}
	if code, _ := get(t, http.MethodGet, "http://"+addr+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the dashboard's listener: %d, want 404", code)
	}
}

func TestMetricsAddrValidated(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"nonsense", "127.0.0.1:8080"} {
		env, _ := testEnv([]string{"serve"}, map[string]string{"DASHBOARD_DATA_DIR": t.TempDir(), "DASHBOARD_METRICS_ADDR": v}, "")
		err := run(context.Background(), env)
		if err == nil || !strings.Contains(err.Error(), "DASHBOARD_METRICS_ADDR") {
			t.Errorf("DASHBOARD_METRICS_ADDR=%q: run() = %v, want an error naming the variable", v, err)
		}
	}
}
