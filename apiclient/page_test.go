package apiclient_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/apiclient"
)

// TestListsKeepToPerPage: an upstream that ignores per_page gets no more rows
// through than were asked for, and Returned says how many it sent.
func TestListsKeepToPerPage(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	rows := func(format string) string {
		var parts []string
		for i := range 7 {
			parts = append(parts, fmt.Sprintf(format, i))
		}
		return `{"success":true,"errors":[],"messages":[],"result_info":{"count":7,"per_page":7},"result":[` + strings.Join(parts, ",") + `]}`
	}
	mux.HandleFunc("GET "+bulkPrefix, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(rows(`{"job_id":"00000000-0000-4000-8000-00000000000%d","status":"PENDING"}`)))
	})
	mux.HandleFunc("GET "+bulkPrefix+"/"+testJob+"/messages", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(rows(`{"message_id":"m%d","status":"PENDING"}`)))
	})
	for _, perPage := range []int{0, 3, 7, 50} {
		want := 7
		if perPage > 0 {
			want = min(perPage, 7)
		}
		jobs, info, err := c.ListJobs(context.Background(), testCred, testAccount, apiclient.ListJobsOptions{PerPage: perPage})
		if err != nil || len(jobs) != want || info.Returned != 7 {
			t.Errorf("ListJobs(per_page %d) = %d jobs, Returned %d, %v; want %d, 7, nil", perPage, len(jobs), info.Returned, err, want)
		}
		msgs, info, err := c.ListJobMessages(context.Background(), testCred, testAccount, testJob, apiclient.ListJobMessagesOptions{PerPage: perPage})
		if err != nil || len(msgs) != want || info.Returned != 7 {
			t.Errorf("ListJobMessages(per_page %d) = %d rows, Returned %d, %v; want %d, 7, nil", perPage, len(msgs), info.Returned, err, want)
		}
	}
}
