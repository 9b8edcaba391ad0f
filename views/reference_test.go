package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// parseWithReference renders c for a request whose reference is ref.
func parseWithReference(t *testing.T, c templ.Component, ref string) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(WithReference(context.Background(), ref), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// Every error sentence ends with the request's reference; without one it
// is the sentence alone.
func TestErrorSentencesEndWithTheReference(t *testing.T) {
	const msg = "Cloudflare did not answer in time."
	card := processingCard()
	card.Error = msg
	unknown := JobCard{ID: testJobID, ShortID: testJobID[:8], AccountID: testAccountID, StatusLabel: "Unknown", Unknown: msg}
	for _, tt := range []struct {
		name, sel string
		comp      templ.Component
	}{
		{"error page", `[data-testid="error-message"]`, ErrorPage(ErrorData{Page: testPage(), Status: 502, Message: msg})},
		{"alert", `[data-testid="error-alert"]`, ErrorAlert(msg)},
		{"card", `[data-testid="card-error"]`, JobCardView(card)},
		{"unknown job", `[data-testid="unknown-reason"]`, JobCardView(unknown)},
		{"list", `[data-testid="list-error"]`, JobListRegion(JobList{Error: msg})},
		{"messages", `[data-testid="messages-error"]`, MessagesRegion(MessageList{Error: msg})},
	} {
		got := parseWithReference(t, tt.comp, "3f2a-ref").Find(tt.sel).Text()
		if !strings.HasSuffix(got, msg+" (reference: 3f2a-ref)") {
			t.Errorf("%s: %q, want it to end with %q", tt.name, got, msg+" (reference: 3f2a-ref)")
		}
		doc := parse(t, tt.comp)
		if got := doc.Find(tt.sel).Text(); strings.Contains(got, "reference") || doc.Find(`[data-testid="reference"]`).Length() != 0 {
			t.Errorf("%s without a reference: %q", tt.name, got)
		}
	}
}
