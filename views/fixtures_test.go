package views

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

const (
	testJobID     = "3f6c2d1e-8a4b-4c5d-9e6f-0a1b2c3d4e5f"
	testAccountID = "0123456789abcdef0123456789abcdef"
)

// processingCard is a live MOVE job as the job page shows it.
func processingCard() JobCard {
	base := "/accounts/" + testAccountID + "/jobs/" + testJobID
	return JobCard{
		ID:            testJobID,
		ShortID:       testJobID[:8],
		AccountID:     testAccountID,
		URL:           base,
		CardURL:       base + "/card",
		CancelURL:     base + "/cancel",
		ConfirmURL:    base + "?confirm=cancel",
		DialogURL:     base + "/cancel-dialog",
		SelfPoll:      true,
		Status:        "PROCESSING",
		StatusLabel:   "Processing",
		StatusClass:   "running",
		Live:          true,
		Action:        "MOVE → Deleted Items",
		ActionType:    "MOVE",
		Destination:   "Deleted Items",
		Comment:       "INC-4821 invoice phish",
		StatusMsg:     "Moving messages",
		Total:         "4,514",
		Pending:       "1,204",
		Successful:    "3,300",
		Failed:        "10",
		ProgressPct:   73,
		ProgressLabel: "3,310 of 4,514 done (73%)",
		Created:       Time{Relative: "12 minutes ago", Exact: "2026-07-08 09:03:02 UTC", ISO: "2026-07-08T09:03:02Z"},
		Started:       Time{Relative: "11 minutes ago", Exact: "2026-07-08 09:04:10 UTC", ISO: "2026-07-08T09:04:10Z"},
		CanCancel:     true,
		CSRFToken:     "tok-123",
		Confirm: CancelConfirm{
			Title:       "Cancel MOVE job 3f6c2d1e?",
			Consequence: "1,204 pending messages will not be moved to Deleted Items.",
			Kept:        "3,310 already moved stay moved. This cannot be resumed.",
		},
	}
}

// completedCard is the same job once terminal.
func completedCard() JobCard {
	c := processingCard()
	c.Status, c.StatusLabel, c.StatusClass = "COMPLETED", "Completed", "ok"
	c.Live, c.CanCancel = false, false
	c.Pending, c.Successful = "0", "4,504"
	c.Skipped, c.Cancelled = "0", "0"
	c.ProgressPct, c.ProgressLabel = 100, "4,514 of 4,514 done (100%)"
	c.Completed = Time{Relative: "1 minute ago", Exact: "2026-07-08 09:14:02 UTC", ISO: "2026-07-08T09:14:02Z"}
	return c
}

func testPage() Page {
	return Page{
		Title:     "Jobs",
		CSRFToken: "tok-123",
		User:      &UserInfo{Email: "ana@example.com", Role: "responder"},
		Nav:       "jobs",
	}
}

// jobsPage is an account's list with n live cards.
func jobsPage(n int) JobsData {
	cards := make([]JobCard, n)
	for i := range cards {
		c := processingCard()
		c.ID = fmt.Sprintf("3f6c2d1e-8a4b-4c5d-9e6f-%012d", i)
		c.ShortID = c.ID[:8]
		c.SelfPoll = false
		cards[i] = c
	}
	base := "/accounts/" + testAccountID + "/jobs"
	return JobsData{
		Page:      testPage(),
		AccountID: testAccountID,
		Filters: JobFilters{
			Status:    "PROCESSING",
			PerPage:   50,
			Statuses:  []string{"PENDING", "DISCOVERING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED", "SKIPPED"},
			Actions:   []string{"MOVE", "RELEASE"},
			PageSizes: []int{20, 50, 100},
			ActionURL: base,
		},
		List: JobList{
			Cards:      cards,
			Page:       2,
			PrevURL:    base + "?page=1&per_page=50",
			NextURL:    base + "?page=3&per_page=50",
			RefreshURL: base + "?page=2&per_page=50",
		},
	}
}

func sampleJobPage() JobPageData {
	return JobPageData{
		Page:     testPage(),
		Card:     processingCard(),
		ShareURL: "https://dash.example.com/accounts/" + testAccountID + "/jobs/" + testJobID,
		ListURL:  "/accounts/" + testAccountID + "/jobs",
		Fields: []Field{
			{Label: "Action type", Value: "MOVE"},
			{Label: "Total count", Value: "4,514", Note: "deprecated upstream"},
		},
		SearchParams: []Field{{Label: "Subject", Value: "Invoice overdue"}},
		Messages: MessageList{
			Rows: []MessageRow{{
				ID: "m1", Recipient: "bob@example.com", PostfixID: "4Xk1", EmailMessageID: "<a@b>",
				Status: "COMPLETED", StatusClass: "ok", Retries: "0", Reason: "",
				Processed: Time{Relative: "5 minutes ago", Exact: "2026-07-08 09:10:00 UTC", ISO: "2026-07-08T09:10:00Z"},
			}},
			Statuses:  []string{"PENDING", "COMPLETED", "FAILED"},
			PerPage:   50,
			Page:      1,
			NextURL:   "/accounts/" + testAccountID + "/jobs/" + testJobID + "/messages?page=2",
			ActionURL: "/accounts/" + testAccountID + "/jobs/" + testJobID + "/messages",
		},
	}
}

// render renders c and returns the HTML.
func render(t testing.TB, c templ.Component) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("Render() error = %v", err)
	}
	return buf.String()
}

// parse renders c and parses it with goquery.
func parse(t testing.TB, c templ.Component) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(render(t, c)))
	if err != nil {
		t.Fatalf("goquery: %v", err)
	}
	return doc
}
