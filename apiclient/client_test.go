package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

const (
	testAccount = "023e105f4ecef8ad9ca31a8372d0c353"
	testJob     = "3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e42"
	testToken   = "CANARY-t0ken-Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQ"
	bulkPrefix  = "/client/v4/accounts/" + testAccount + "/email-security/investigate/bulk"
)

var testCred = apiclient.Credential{APIToken: testToken}

// setup returns a client pointed at a fresh test server and the server's mux.
// Nothing is global, so tests may run in parallel.
func setup(t *testing.T, opts ...apiclient.Option) (*apiclient.Client, *http.ServeMux) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	opts = append([]apiclient.Option{
		apiclient.WithBaseURL(srv.URL + "/client/v4"),
		apiclient.WithRetries(2, time.Millisecond),
	}, opts...)
	c, err := apiclient.New(opts...)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return c, mux
}

// serveFile answers with a canned body from testdata.
func serveFile(t *testing.T, name string) http.HandlerFunc {
	t.Helper()
	body, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", "ftp://x", "/relative", "http://user:pw@host/v4", "http://host/v4?x=1", "http://host/v4#f", "http://"} {
		if _, err := apiclient.New(apiclient.WithBaseURL(raw)); err == nil {
			t.Errorf("New(WithBaseURL(%q)) error = nil, want error", raw)
		}
	}
	c, err := apiclient.New()
	if err != nil || c.BaseURL() != apiclient.DefaultBaseURL {
		t.Errorf("New() = %v, %v; want default base url", c.BaseURL(), err)
	}
}

func TestAuthHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cred      apiclient.Credential
		wantAuth  string
		wantEmail string
		wantKey   string
	}{
		{"token", apiclient.Credential{APIToken: "tok"}, "Bearer tok", "", ""},
		{"global key", apiclient.Credential{Email: "a@example.com", APIKey: "k3y"}, "", "a@example.com", "k3y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("Authorization"); got != tt.wantAuth {
					t.Errorf("Authorization = %q, want %q", got, tt.wantAuth)
				}
				if got := r.Header.Get("X-Auth-Email"); got != tt.wantEmail {
					t.Errorf("X-Auth-Email = %q, want %q", got, tt.wantEmail)
				}
				if got := r.Header.Get("X-Auth-Key"); got != tt.wantKey {
					t.Errorf("X-Auth-Key = %q, want %q", got, tt.wantKey)
				}
				serveFile(t, "cancel_new_shape.json")(w, r)
			})
			if _, err := c.GetJob(context.Background(), tt.cred, testAccount, testJob); err != nil {
				t.Fatalf("GetJob() error = %v", err)
			}
		})
	}
}

func TestCredentialValidation(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { calls.Add(1) })
	for _, cred := range []apiclient.Credential{{}, {Email: "a@example.com"}, {APIKey: "k"}, {APIToken: "a\r\nX-Evil: 1"}} {
		if _, err := c.GetJob(context.Background(), cred, testAccount, testJob); err == nil {
			t.Errorf("GetJob(%#v) error = nil, want error", cred)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("upstream calls = %d, want 0", n)
	}
}

func TestCredentialNeverFormatted(t *testing.T) {
	t.Parallel()
	cred := apiclient.Credential{APIToken: testToken, Email: "a@example.com", APIKey: "global-key-secret"}
	for _, s := range []string{
		cred.String(), cred.GoString(), cred.LogValue().String(),
		sprintf("%v", cred), sprintf("%+v", cred), sprintf("%#v", cred), sprintf("%s", cred),
	} {
		if strings.Contains(s, testToken) || strings.Contains(s, "global-key-secret") {
			t.Errorf("formatted credential %q contains a secret", s)
		}
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var targetHits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
	}))
	t.Cleanup(target.Close)
	mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/steal", http.StatusFound)
	})
	_, err := c.GetJob(context.Background(), testCred, testAccount, testJob)
	if !errors.Is(err, apiclient.ErrInvalidResponse) {
		t.Errorf("GetJob() error = %v, want ErrInvalidResponse", err)
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("redirect target received %d requests, want 0", n)
	}
}

func TestWithHTTPClientKeepsNoRedirectPolicy(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Timeout: time.Second}
	c, mux := setup(t, apiclient.WithHTTPClient(hc))
	mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	var hits atomic.Int32
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	if _, err := c.GetJob(context.Background(), testCred, testAccount, testJob); err == nil {
		t.Error("GetJob() error = nil, want redirect error")
	}
	if hits.Load() != 0 || hc.CheckRedirect != nil {
		t.Errorf("redirect followed (%d) or caller's client mutated", hits.Load())
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, apiclient.WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}), apiclient.WithRetries(0, 0))
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	_, err := c.GetJob(context.Background(), testCred, testAccount, testJob)
	if !errors.Is(err, apiclient.ErrUnavailable) {
		t.Errorf("GetJob() error = %v, want ErrUnavailable", err)
	}
	if got := apiclient.Explain(err); !strings.Contains(got, "did not answer in time") {
		t.Errorf("Explain() = %q, want a timeout sentence", got)
	}
}
