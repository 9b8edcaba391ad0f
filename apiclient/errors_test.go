package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	huge := `{"success":true,"errors":[],"messages":[],"result":{"job_id":"` + testJob + `","comment":"` + strings.Repeat("x", 2<<10) + `"}}`
	tests := []struct {
		name           string
		givenStatus    int
		givenBody      string
		givenHeader    map[string]string
		wantIs         error
		wantCode       int
		wantRetry      time.Duration
		wantExplain    string
		wantRay        string
		wantErrContain string
	}{
		{
			name: "malformed auth header", givenStatus: 400,
			givenBody: `{"success":false,"errors":[{"code":6003,"message":"Invalid request headers","error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]}],"messages":[],"result":null}`,
			wantIs:    apiclient.ErrUnauthorized, wantCode: 6111, wantExplain: "rejected the stored credential",
		},
		{
			name: "invalid token", givenStatus: 403,
			givenBody: `{"success":false,"errors":[{"code":9109,"message":"Invalid access token"}],"messages":[],"result":null}`,
			wantIs:    apiclient.ErrUnauthorized, wantCode: 9109, wantExplain: "rejected the stored credential",
		},
		{
			name: "401", givenStatus: 401,
			givenBody: `{"success":false,"errors":[{"code":10002,"message":"Authorization Failure"}],"messages":[],"result":null}`,
			wantIs:    apiclient.ErrUnauthorized, wantCode: 10002, wantExplain: "rejected the stored credential",
		},
		{
			name: "missing permission", givenStatus: 403,
			givenBody: `{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}`,
			wantIs:    apiclient.ErrForbidden, wantCode: 10000, wantExplain: "lacks the permission",
		},
		{
			name: "not found", givenStatus: 404, givenHeader: map[string]string{"Cf-Ray": "8c1f2a3b4c5d6e7f-SIM"},
			givenBody: `{"success":false,"errors":[{"code":1404,"message":"bulk job not found","source":{"pointer":"/job_id"}}],"messages":[],"result":null}`,
			wantIs:    apiclient.ErrNotFound, wantCode: 1404, wantExplain: "no such bulk job", wantRay: "8c1f2a3b4c5d6e7f-SIM",
			wantErrContain: "404 (1404: bulk job not found)",
		},
		{
			name: "terminal job", givenStatus: 400,
			givenBody: `{"success":false,"errors":[{"code":1409,"message":"job is already in a terminal state"}],"messages":[],"result":null}`,
			wantIs:    apiclient.ErrBadRequest, wantCode: 1409, wantExplain: "job is already in a terminal state",
		},
		{
			name: "rate limited", givenStatus: 429, givenHeader: map[string]string{"Retry-After": "250", "Ratelimit": `"default";r=0;t=250`},
			givenBody: `{"success":false,"errors":[{"code":971,"message":"Please wait and consider throttling your request speed"}],"messages":[],"result":null}`,
			wantIs:    apiclient.ErrRateLimited, wantCode: 971, wantRetry: 250 * time.Second, wantExplain: "try again in 4 minutes 10 seconds",
		},
		{
			name: "rate limited without retry-after", givenStatus: 429, givenBody: `{}`,
			wantIs: apiclient.ErrRateLimited, wantExplain: "try again in a few minutes",
		},
		{
			name: "server error", givenStatus: 500,
			givenBody: `{"success":false,"errors":[{"code":10001,"message":"Internal server error"}],"messages":[],"result":null}`,
			wantIs:    apiclient.ErrUnavailable, wantCode: 10001, wantExplain: "unavailable",
		},
		{
			name: "proxy html page", givenStatus: 502, givenHeader: map[string]string{"Content-Type": "text/html"},
			givenBody: "<html><body><h1>502 Bad Gateway</h1></body></html>",
			wantIs:    apiclient.ErrUnavailable, wantExplain: "unavailable", wantErrContain: "html page",
		},
		{
			name: "success false in 200", givenStatus: 200,
			givenBody: `{"success":false,"errors":[{"code":1000,"message":"odd"}],"messages":[],"result":null}`,
			wantIs:    apiclient.ErrInvalidResponse, wantCode: 1000, wantExplain: "could not read",
		},
		{
			name: "success missing in 200", givenStatus: 200, givenBody: `{"result":{}}`,
			wantIs: apiclient.ErrInvalidResponse, wantExplain: "could not read",
		},
		{
			name: "html in 200", givenStatus: 200, givenBody: "<!doctype html><title>Login</title>",
			wantIs: apiclient.ErrInvalidResponse, wantExplain: "could not read", wantErrContain: "html page",
		},
		{
			name: "truncated json", givenStatus: 200, givenBody: `{"success":true,"errors":[],"result":{"job_id":"3f6c`,
			wantIs: apiclient.ErrInvalidResponse, wantErrContain: "not valid json",
		},
		{
			name: "empty body", givenStatus: 200, givenBody: "",
			wantIs: apiclient.ErrInvalidResponse, wantErrContain: "empty response body",
		},
		{
			name: "oversized body", givenStatus: 200, givenBody: huge,
			wantIs: apiclient.ErrInvalidResponse, wantErrContain: "larger than",
		},
		{
			name: "result is wrong shape", givenStatus: 200, givenBody: `{"success":true,"errors":[],"messages":[],"result":[1,2]}`,
			wantIs: apiclient.ErrInvalidResponse, wantErrContain: "unexpected result shape",
		},
		{
			name: "job with hostile id", givenStatus: 200,
			givenBody: `{"success":true,"errors":[],"messages":[],"result":{"job_id":"../../user/tokens"}}`,
			wantIs:    apiclient.ErrInvalidResponse, wantErrContain: "valid job_id",
		},
		{
			name: "upstream echoes the token", givenStatus: 400,
			givenBody: `{"success":false,"errors":[{"code":6003,"message":"bad header Bearer ` + testToken + `"}],"messages":[],"result":null}`,
			wantIs:    apiclient.ErrUnauthorized, wantCode: 6003, wantErrContain: "[redacted]",
		},
		{
			name: "unexpected 405", givenStatus: 405, givenBody: `not json`,
			wantIs: apiclient.ErrBadRequest, wantExplain: "refused the request",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t, apiclient.WithRetries(0, 0), apiclient.WithMaxBodySize(1<<10))
			mux.HandleFunc("GET "+bulkPrefix+"/"+testJob, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.givenHeader {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.givenStatus)
				w.Write([]byte(tt.givenBody))
			})
			job, err := c.GetJob(context.Background(), testCred, testAccount, testJob)
			if err == nil {
				t.Fatalf("GetJob() = %+v, nil; want error", job)
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("GetJob() error = %v, want errors.Is %v", err, tt.wantIs)
			}
			var apiErr *apiclient.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("GetJob() error %T is not *APIError", err)
			}
			if tt.wantCode != 0 && !apiErr.HasCode(tt.wantCode) {
				t.Errorf("HasCode(%d) = false; errors = %+v", tt.wantCode, apiErr.Errors)
			}
			if apiErr.RetryAfter != tt.wantRetry {
				t.Errorf("RetryAfter = %v, want %v", apiErr.RetryAfter, tt.wantRetry)
			}
			if apiErr.RayID != tt.wantRay {
				t.Errorf("RayID = %q, want %q", apiErr.RayID, tt.wantRay)
			}
			msg := apiclient.Explain(err)
			if !strings.Contains(msg, tt.wantExplain) {
				t.Errorf("Explain() = %q, want it to contain %q", msg, tt.wantExplain)
			}
			if !strings.Contains(err.Error(), tt.wantErrContain) {
				t.Errorf("Error() = %q, want it to contain %q", err.Error(), tt.wantErrContain)
			}
			if !strings.HasPrefix(err.Error(), "apiclient: GET /accounts/"+testAccount) {
				t.Errorf("Error() = %q, want method and path first", err.Error())
			}
			for _, s := range []string{err.Error(), msg, sprintf("%+v", apiErr)} {
				if strings.Contains(s, testToken) {
					t.Errorf("error text %q contains the token", s)
				}
			}
		})
	}
}

func TestExplainOtherErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{apiclient.ErrInvalidID, "not valid"},
		{errors.New("boom"), "went wrong"},
	}
	for _, tt := range tests {
		if got := apiclient.Explain(tt.err); !strings.Contains(got, tt.want) {
			t.Errorf("Explain(%v) = %q, want it to contain %q", tt.err, got, tt.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "1 second"},
		{1500 * time.Millisecond, "2 seconds"},
		{60 * time.Second, "1 minute"},
		{61 * time.Second, "1 minute 1 second"},
		{300 * time.Second, "5 minutes"},
	}
	for _, tt := range tests {
		if got := apiclient.HumanDuration(tt.d); got != tt.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
