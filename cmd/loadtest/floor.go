package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/respond/bulkjobs/apiclient"
)

// floor measures, in the same run, what the dashboard's work sits on: the
// bare upstream calls (GetJob and ListJobs straight to the simulator with
// apiclient, its own token, no retries) and the dashboard's /healthz (the
// same HTTP stack with no session, store or upstream work). It alternates
// the two upstream calls at rate per second, and asks /healthz as often.
func floor(ctx context.Context, rec *recorder, apiURL, token, dashURL string, jobs []string, perPage int, rate float64) {
	client, err := apiclient.New(apiclient.WithBaseURL(apiURL), apiclient.WithRetries(0, 0))
	if err != nil {
		rec.fail("floor: " + err.Error())
		return
	}
	cred := apiclient.Credential{APIToken: token}
	hc := &http.Client{Timeout: 30 * time.Second}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		start := time.Now()
		k := kFloorList
		if i%2 == 1 && len(jobs) > 0 {
			k = kFloorGet
			_, err = client.GetJob(ctx, cred, account, jobs[(i/2)%len(jobs)])
		} else {
			_, _, err = client.ListJobs(ctx, cred, account, apiclient.ListJobsOptions{PerPage: perPage})
		}
		if ctx.Err() != nil {
			return
		}
		rec.add(sample{at: start, lat: time.Since(start), status: statusOf(err), kind: k})
		if err != nil {
			rec.fail(k.String() + ": " + floorErr(err))
		}
		healthz(ctx, rec, hc, dashURL)
	}
}

// healthz times one GET /healthz.
func healthz(ctx context.Context, rec *recorder, hc *http.Client, dashURL string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, dashURL+"/healthz", nil)
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			rec.fail("/healthz: " + errKind(err))
		}
		return
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	rec.add(sample{at: start, lat: time.Since(start), bytes: n, status: resp.StatusCode, kind: kHealthz})
	if resp.StatusCode != http.StatusOK {
		rec.fail(fmt.Sprintf("/healthz: status %d", resp.StatusCode))
	}
}

// statusOf is the HTTP status of an apiclient call's answer (200 when it
// succeeded, 0 when there was none).
func statusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var ae *apiclient.APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

func floorErr(err error) string {
	if s := statusOf(err); s != 0 {
		return fmt.Sprintf("status %d", s)
	}
	return errKind(err)
}

// runningJobs lists the account's jobs that are not finished.
func runningJobs(ctx context.Context, apiURL, token string) ([]string, error) {
	client, err := apiclient.New(apiclient.WithBaseURL(apiURL))
	if err != nil {
		return nil, err
	}
	jobs, _, err := client.ListJobs(ctx, apiclient.Credential{APIToken: token}, account, apiclient.ListJobsOptions{PerPage: 100})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, j := range jobs {
		if !j.Status.Terminal() {
			ids = append(ids, j.ID)
		}
	}
	return ids, nil
}

// loggedRequest is an entry of cfsim's /__admin/requests.
type loggedRequest struct {
	Time      time.Time `json:"time"`
	Principal string    `json:"principal"`
	Status    int       `json:"status"`
}

// adminCounts reads an external simulator's request log and counts the
// calls of each principal since start. The log keeps the newest 10,000
// entries; full reports whether it may have dropped some of the window.
func adminCounts(ctx context.Context, simURL string, start time.Time) (calls, tooMany map[string]int, full bool, err error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, simURL+"/__admin/requests", nil)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, nil, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, false, fmt.Errorf("GET /__admin/requests: status %d (start cfsim with -admin)", resp.StatusCode)
	}
	var log []loggedRequest
	if err := json.NewDecoder(resp.Body).Decode(&log); err != nil {
		return nil, nil, false, fmt.Errorf("GET /__admin/requests: %w", err)
	}
	calls, tooMany = map[string]int{}, map[string]int{}
	for _, e := range log {
		if e.Time.Before(start) || e.Principal == "" {
			continue
		}
		calls[e.Principal]++
		if e.Status == http.StatusTooManyRequests {
			tooMany[e.Principal]++
		}
	}
	full = len(log) >= 10_000 && !log[0].Time.Before(start)
	return calls, tooMany, full, nil
}
