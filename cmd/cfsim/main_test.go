package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/cfsim"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of run and
// reads of the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var baseURLRegexp = regexp.MustCompile(`base URL: (http://127\.0\.0\.1:\d+/client/v4)`)

// start runs run in the background and returns the printed base URL, the
// output and a function that stops run and returns its error.
func start(t *testing.T, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, args, out) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := baseURLRegexp.FindStringSubmatch(out.String()); m != nil {
			return m[1], out, func() error { cancel(); return <-errc }
		}
		select {
		case err := <-errc:
			cancel()
			t.Fatalf("run() returned early: %v\n%s", err, out)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("no base URL printed:\n%s", out)
	return "", nil, nil
}

func get(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestRunDemo(t *testing.T) {
	t.Parallel()
	base, out, stop := start(t, "-addr", "127.0.0.1:0", "-shape", "old", "-seed", "3")
	code, body := get(t, base+"/accounts/"+cfsim.DemoAccountID+"/email-security/investigate/bulk?per_page=1", cfsim.DemoReadToken)
	if code != http.StatusOK || body["success"] != true {
		t.Errorf("demo list = %d %v, want 200 success", code, body)
	}
	jobs, _ := body["result"].([]any)
	if len(jobs) != 1 {
		t.Fatalf("result = %v, want one job", body["result"])
	}
	if _, ok := jobs[0].(map[string]any)["messages_cancelled"]; ok {
		t.Error("-shape old still emits messages_cancelled")
	}
	if err := stop(); err != nil {
		t.Errorf("run() after cancel = %v, want nil", err)
	}
	for _, want := range []string{cfsim.DemoReadToken, cfsim.DemoWriteToken, cfsim.DemoAccountID, cfsim.DemoSecondAccountID, "shape: old", "cfsim: stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunConfigFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "apiclient", "cfsim", "testdata", "example-config.json")
	base, out, stop := start(t, "-addr", "127.0.0.1:0", "-config", path, "-admin")
	code, _ := get(t, base+"/accounts/023e105f4ecef8ad9ca31a8372d0c353/email-security/investigate/bulk/9b1e4f7a-2c3d-4e5f-8a6b-7c8d9e0f1a2b",
		"example-viewer-token-0000000000000000000")
	if code != http.StatusOK {
		t.Errorf("GET seeded job = %d, want 200", code)
	}
	if err := stop(); err != nil {
		t.Errorf("run() after cancel = %v, want nil", err)
	}
	if strings.Contains(out.String(), cfsim.DemoReadToken) || !strings.Contains(out.String(), "admin: on") {
		t.Errorf("config-file output = %s, want no demo tokens and admin on", out)
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"shape":"sideways"}`), 0o600)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"bad shape flag", []string{"-shape", "square"}, "-shape must be old or new"},
		{"missing config", []string{"-config", "/nonexistent/cfsim.json"}, "no such file"},
		{"bad config", []string{"-config", bad}, `shape must be "old" or "new"`},
		{"bad address", []string{"-addr", "256.0.0.1:-1"}, "listen"},
		{"unknown flag", []string{"-port", "1"}, "flag provided but not defined"},
		{"extra argument", []string{"serve"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		err := run(context.Background(), tt.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: run() error = %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}
