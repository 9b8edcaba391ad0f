package apiclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/apiclient"
)

// leaks are the pieces of testToken a hostile upstream echoes: the whole
// token, all but its last byte, all but its first, and nine bytes from the
// middle.
var leaks = []string{testToken, testToken[:len(testToken)-1], testToken[1:], testToken[17:26]}

// leakText joins every piece, so one field carries them all.
var leakText = "token " + strings.Join(leaks, " and ") + "."

// checkNoLeak fails when any text holds a piece of the token of 8 bytes or
// more.
func checkNoLeak(t *testing.T, where string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for i := 0; i+8 <= len(testToken); i++ {
			if strings.Contains(s, testToken[i:i+8]) {
				t.Errorf("%s holds %q of the token: %s", where, testToken[i:i+8], s)
				break
			}
		}
	}
}

// hostileEnvelope writes a Cloudflare envelope, with a piece of the token
// (from the request's Authorization header, as a hostile upstream would) in
// Cf-Ray: the ray query parameter picks which.
func hostileEnvelope(w http.ResponseWriter, r *http.Request, status int, env map[string]any) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	ray := map[string]string{"0": tok, "1": tok[:len(tok)-1], "2": tok[1:], "3": tok[17:26]}[r.URL.Query().Get("ray")]
	w.Header().Set("Cf-Ray", ray)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(env)
}

func TestHostileUpstreamCannotLeakTheToken(t *testing.T) {
	t.Parallel()
	info := map[string]any{"code": 1000, "message": leakText, "documentation_url": "https://x.example/" + leaks[1],
		"source": map[string]any{"pointer": "/" + leaks[2]}, "error_chain": []any{
			map[string]any{"code": 1001, "message": leaks[1], "error_chain": []any{map[string]any{"code": 1002, "message": leaks[2]}}}}}
	job := map[string]any{
		"job_id": testJob, "action_type": "MOVE", "status": "PROCESSING", "created_at": "2026-11-28T08:00:00Z",
		"action_params": map[string]any{"type": "MOVE", "destination": leaks[0]},
		"search_params": map[string]any{"subject": leakText, "sender": leaks[1], "query": leaks[2], "recipient": leaks[3],
			"domain": leakText, "alert_id": leakText, "message_id": leakText, "metric": leakText, "exact_subject": leakText},
		"comment": leakText, "status_message": leakText,
	}
	msg := map[string]any{
		"message_id": "c0a8e1f2-3b4c-4d5e-8f60-718293a4b5c6", "postfix_id": leakText, "action_type": "MOVE", "status": leaks[1],
		"action_params": map[string]any{"type": "MOVE", "client_recipient": leakText, "destination": leaks[2]},
		"created_at":    "2026-11-28T08:00:02Z", "alert_id": leakText, "email_message_id": leakText, "status_message": leakText,
	}
	next := leaks[1]
	paging := map[string]any{"count": 1, "per_page": 20, "next": next, "previous": leaks[2]}

	tests := []struct {
		name string
		give func(w http.ResponseWriter, r *http.Request)
		call func(c *apiclient.Client) (any, error)
	}{
		{
			name: "error answer",
			give: func(w http.ResponseWriter, r *http.Request) {
				hostileEnvelope(w, r, http.StatusBadRequest, map[string]any{"success": false, "errors": []any{info}, "result": nil})
			},
			call: func(c *apiclient.Client) (any, error) {
				return c.CancelJob(context.Background(), testCred, testAccount, testJob)
			},
		},
		{
			name: "success false in 200",
			give: func(w http.ResponseWriter, r *http.Request) {
				hostileEnvelope(w, r, http.StatusOK, map[string]any{"success": false, "errors": []any{info}, "result": job})
			},
			call: func(c *apiclient.Client) (any, error) {
				return c.GetJob(context.Background(), testCred, testAccount, testJob)
			},
		},
		{
			name: "job",
			give: func(w http.ResponseWriter, r *http.Request) {
				hostileEnvelope(w, r, http.StatusOK, map[string]any{"success": true, "errors": []any{}, "result": job})
			},
			call: func(c *apiclient.Client) (any, error) {
				return c.GetJob(context.Background(), testCred, testAccount, testJob)
			},
		},
		{
			name: "job list",
			give: func(w http.ResponseWriter, r *http.Request) {
				hostileEnvelope(w, r, http.StatusOK, map[string]any{"success": true, "errors": []any{}, "result": []any{job}, "result_info": paging})
			},
			call: func(c *apiclient.Client) (any, error) {
				jobs, info, err := c.ListJobs(context.Background(), testCred, testAccount, apiclient.ListJobsOptions{})
				return []any{jobs, info, *info.Next, *info.Previous}, err
			},
		},
		{
			name: "message rows",
			give: func(w http.ResponseWriter, r *http.Request) {
				hostileEnvelope(w, r, http.StatusOK, map[string]any{"success": true, "errors": []any{}, "result": []any{msg}, "result_info": paging})
			},
			call: func(c *apiclient.Client) (any, error) {
				msgs, info, err := c.ListJobMessages(context.Background(), testCred, testAccount, testJob, apiclient.ListJobMessagesOptions{})
				return []any{msgs, info, *info.Next}, err
			},
		},
		{
			name: "garbage status line (transport error)",
			give: func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := w.(http.Hijacker).Hijack()
				if err != nil {
					return
				}
				defer conn.Close()
				buf.WriteString("HTTP/1.1 " + leaks[1] + " OK\r\n\r\n")
				buf.Flush()
			},
			call: func(c *apiclient.Client) (any, error) {
				return c.CancelJob(context.Background(), testCred, testAccount, testJob)
			},
		},
	}
	for _, tt := range tests {
		for ray := range leaks {
			t.Run(sprintf("%s/cf-ray %d", tt.name, ray), func(t *testing.T) {
				t.Parallel()
				c, mux := setup(t, apiclient.WithRetries(0, 0))
				give := func(w http.ResponseWriter, r *http.Request) {
					r.URL.RawQuery = "ray=" + sprintf("%d", ray) // which piece goes into Cf-Ray
					tt.give(w, r)
				}
				mux.HandleFunc(bulkPrefix+"/", give)
				mux.HandleFunc(bulkPrefix, give)
				checkCall(t, tt.name)(tt.call(c))
			})
		}
	}
}

// checkCall returns a check of one call's result and error: no piece of the
// token in any text of either, no Ray ID, and a [redacted] marker where the
// hostile text was.
func checkCall(t *testing.T, name string) func(any, error) {
	return func(got any, err error) {
		t.Helper()
		texts := []string{sprintf("%+v", got), sprintf("%#v", got)}
		if err != nil {
			texts = append(texts, err.Error(), apiclient.Explain(err), sprintf("%+v", err))
			var apiErr *apiclient.APIError
			if errors.As(err, &apiErr) {
				texts = append(texts, sprintf("%+v", *apiErr), apiErr.RayID)
				if apiErr.RayID != "" {
					t.Errorf("RayID = %q, want a malformed cf-ray dropped", apiErr.RayID)
				}
			}
			for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
				texts = append(texts, e.Error())
			}
		}
		checkNoLeak(t, name, texts...)
		if !strings.Contains(strings.Join(texts, " "), "[redacted]") {
			t.Errorf("no [redacted] marker anywhere: the hostile text did not arrive (%v)", err)
		}
	}
}
