package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func sampleStale() *Stale {
	return &Stale{
		AsOf:   Time{Relative: "3 minutes ago", Exact: "2026-07-08 09:02:13 UTC", ISO: "2026-07-08T09:02:13Z"},
		Clock:  "09:02:13 UTC",
		Reason: "Cloudflare rate-limits this credential until 09:07:13 UTC.",
	}
}

// markerHTML is the stale marker's markup in a rendered document.
func markerHTML(t *testing.T, doc *goquery.Document) string {
	t.Helper()
	m := doc.Find(`[data-testid="stale"]`)
	if m.Length() != 1 {
		t.Fatalf("stale markers = %d, want 1", m.Length())
	}
	h, err := goquery.OuterHtml(m)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The list, the card and the messages mark an older answer with the same
// markup: as of when, and why.
func TestStaleMarkerIsOneComponent(t *testing.T) {
	card := processingCard()
	card.Stale = sampleStale()
	onCard := markerHTML(t, parse(t, JobCardView(card)))
	onList := markerHTML(t, parse(t, JobListRegion(JobList{Cards: []JobCard{processingCard()}, Stale: sampleStale()})))
	onMessages := markerHTML(t, parse(t, MessagesRegion(MessageList{Stale: sampleStale()})))
	if onCard != onList || onCard != onMessages {
		t.Errorf("markers differ:\ncard:     %s\nlist:     %s\nmessages: %s", onCard, onList, onMessages)
	}
	doc := parse(t, JobCardView(card))
	if got := doc.Find(`[data-testid="stale-as-of"]`).AttrOr("datetime", ""); got != "2026-07-08T09:02:13Z" {
		t.Errorf("as-of datetime = %q", got)
	}
	text := strings.Join(strings.Fields(doc.Find(`[data-testid="stale"]`).Text()), " ")
	if want := "Showing Cloudflare's answer as of 09:02:13 UTC. Cloudflare rate-limits this credential until 09:07:13 UTC."; text != want {
		t.Errorf("marker text = %q, want %q", text, want)
	}
	if doc.Find(`[data-testid="stale"]`).AttrOr("role", "") != "" {
		t.Error("the marker is a live region: a polling card would announce it every few seconds")
	}
}

// A job nothing is known of: its IDs, why, Retry and Cancel with the
// dialog and the no-JS form; no counters pretending to be zero.
func TestUnknownJobCard(t *testing.T) {
	c := processingCard()
	c.Status, c.StatusLabel, c.StatusClass, c.Live = "", "Unknown", "unknown", false
	c.Unknown = "Cloudflare is unavailable right now: it answered 503 Service Unavailable."
	doc := parse(t, JobCardView(c))
	if got := doc.Find(`[data-testid="unknown-reason"]`).Text(); !strings.Contains(got, c.Unknown) {
		t.Errorf("reason = %q", got)
	}
	ids := doc.Find(`[data-testid="unknown-ids"]`).Text()
	if !strings.Contains(ids, testJobID) || !strings.Contains(ids, testAccountID) {
		t.Errorf("IDs = %q", ids)
	}
	if got := doc.Find(`[data-testid="retry"]`).AttrOr("href", ""); got != c.URL {
		t.Errorf("retry href = %q, want %q", got, c.URL)
	}
	if got := doc.Find(`[data-testid="cancel-button"]`).AttrOr("href", ""); got != c.ConfirmURL {
		t.Errorf("cancel href = %q", got)
	}
	if got := parse(t, CancelDialog(c, "#job-list:replace")).Find(`[data-testid="cancel-dialog"] form`).AttrOr("action", ""); got != c.CancelURL {
		t.Errorf("cancel form action = %q", got)
	}
	for _, sel := range []string{`[data-testid="counters"]`, `[data-testid="job-progress"]`, `[hx-trigger]`} {
		if doc.Find(sel).Length() != 0 {
			t.Errorf("unknown card has %s", sel)
		}
	}
	page := sampleJobPage()
	page.Card, page.Fields, page.SearchParams = c, nil, nil
	if parse(t, JobPage(page)).Find(`[data-testid="messages"]`).Length() != 0 {
		t.Error("a job page without the job shows a messages region")
	}
	// A viewer gets Retry but no Cancel.
	c.CanCancel = false
	doc = parse(t, JobCardView(c))
	if doc.Find(`[data-testid="retry"]`).Length() != 1 || doc.Find(`[data-testid="cancel-button"], dialog`).Length() != 0 {
		t.Error("viewer's unknown card: want Retry and no cancel control")
	}
}
