package handlers_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/handlers"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web/webtest"
)

func TestAuditPageScopes(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	responder := app.Login(t, webtest.Responder)
	app.HTMXPost(t, responder, jobPath(processingJob), cancelPath(processingJob), url.Values{"reason": {"INC-1: wrong scope"}})
	viewer := app.Login(t, webtest.Viewer)
	admin := app.Login(t, webtest.Admin)

	// The responder sees their own cancel; the viewer does not see it.
	_, body := app.Get(t, responder, "/audit?action=job_cancel", false)
	if !strings.Contains(body, "INC-1: wrong scope") {
		t.Error("responder's own cancel missing from their history")
	}
	_, body = app.Get(t, viewer, "/audit", false)
	if strings.Contains(body, "INC-1: wrong scope") || strings.Contains(body, webtest.Responder) {
		t.Error("a viewer sees another analyst's events")
	}
	// Even when asking for another analyst by email.
	_, body = app.Get(t, viewer, "/audit?email="+url.QueryEscape(webtest.Responder), false)
	if strings.Contains(body, "INC-1: wrong scope") {
		t.Error("the email filter widened a non-admin's scope")
	}
	// The admin sees everyone, and can filter by analyst and job.
	_, body = app.Get(t, admin, "/audit?email="+url.QueryEscape(webtest.Responder)+"&job_id="+processingJob, false)
	d := doc(t, body)
	if n := d.Find(`[data-testid="audit-row"]`).Length(); n != 1 || !strings.Contains(body, "INC-1: wrong scope") {
		t.Errorf("admin filter: %d rows", n)
	}
	if href, _ := d.Find(`[data-testid="audit-row"] a`).Attr("href"); href != jobPath(processingJob) {
		t.Errorf("audit row links to %q", href)
	}
	for _, q := range []string{"?action=drop_tables", "?job_id=../x", "?since=yesterday", "?account_id=XYZ"} {
		if resp, _ := app.Get(t, admin, "/audit"+q, false); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("/audit%s: status %d, want 400", q, resp.StatusCode)
		}
	}
}

func TestAuditCSVNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	admin := app.Login(t, webtest.Admin)
	for _, reason := range []string{"=HYPERLINK(\"http://evil.example\")", "+1+1", "-2", "@SUM(A1)", "\tx", "plain reason"} {
		if err := app.Store.AddAudit(context.Background(), store.AuditEvent{Action: store.ActionJobCancel, UserEmail: "x@test.example",
			AccountID: webtest.Account, JobID: processingJob, Reason: reason, Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	resp, body := app.Get(t, admin, "/audit.csv?action=job_cancel", false)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("content type %q, disposition %q", ct, resp.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 {
		t.Fatalf("csv rows = %d, want header + 6", len(rows))
	}
	for _, r := range rows[1:] {
		reason := r[5]
		if reason != "plain reason" && !strings.HasPrefix(reason, "'") {
			t.Errorf("reason cell %q not neutralised", reason)
		}
	}
	if got := handlers.CSVSafe("=1"); got != "'=1" {
		t.Errorf("CSVSafe(=1) = %q", got)
	}
}
