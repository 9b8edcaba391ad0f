package views

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func TestJobCardProcessingSelfPolls(t *testing.T) {
	doc := parse(t, JobCardView(processingCard()))
	card := doc.Find(`[data-testid="job-card"]`)
	if card.Length() != 1 {
		t.Fatalf("job cards = %d, want 1", card.Length())
	}
	want := map[string]string{
		"id":          "job-" + testJobID,
		"data-status": "PROCESSING",
		"hx-get":      "/accounts/" + testAccountID + "/jobs/" + testJobID + "/card",
		"hx-trigger":  "every 3s, refresh",
		"hx-swap":     "outerHTML",
		"hx-sync":     "this:drop",
	}
	for name, v := range want {
		if got, _ := card.Attr(name); got != v {
			t.Errorf("card %s = %q, want %q", name, got, v)
		}
	}
	for _, cls := range []string{"job-card", "sync-root", "live"} {
		if !card.HasClass(cls) {
			t.Errorf("card class = %q, want it to contain %q", card.AttrOr("class", ""), cls)
		}
	}
	badge := card.Find(`[data-testid="status-badge"]`)
	if got := strings.TrimSpace(badge.Text()); got != "Processing" {
		t.Errorf("badge text = %q, want %q", got, "Processing")
	}
	if !badge.HasClass("badge-running") {
		t.Errorf("badge class = %q, want badge-running", badge.AttrOr("class", ""))
	}
	progress := card.Find("progress")
	if got, want := progress.AttrOr("value", ""), "73"; got != want {
		t.Errorf("progress value = %q, want %q", got, want)
	}
	if got := progress.AttrOr("max", ""); got != "100" {
		t.Errorf("progress max = %q, want 100", got)
	}
	if !strings.Contains(card.Text(), "3,310 of 4,514 done (73%)") {
		t.Error("card does not show the progress label")
	}
	link := card.Find(`[data-testid="job-link"]`)
	if got, want := link.AttrOr("href", ""), "/accounts/"+testAccountID+"/jobs/"+testJobID; got != want {
		t.Errorf("job link href = %q, want %q", got, want)
	}
	created := card.Find(`time[datetime="2026-07-08T09:03:02Z"]`)
	if got := created.AttrOr("title", ""); got != "2026-07-08 09:03:02 UTC" {
		t.Errorf("created title = %q, want the exact UTC time", got)
	}
	if n := card.Find("time").Length(); n != 2 {
		t.Errorf("time elements = %d, want 2 (completed is unset)", n)
	}
}

func TestJobCardNotSelfPollingWithoutFlag(t *testing.T) {
	c := processingCard()
	c.SelfPoll = false
	doc := parse(t, JobCardView(c))
	if n := doc.Find("[hx-trigger]").Length(); n != 0 {
		t.Errorf("elements with hx-trigger = %d, want 0 when the list polls instead", n)
	}
	if doc.Find(`[data-testid="job-card"]`).HasClass("sync-root") {
		t.Error("a card that does not poll itself must not be a sync root: its cancel syncs on the list")
	}
}

func TestJobCardCompletedHasNoTrigger(t *testing.T) {
	c := completedCard() // SelfPoll stays true: terminal alone must stop polling
	html := render(t, JobCardView(c))
	if strings.Contains(html, "hx-trigger") {
		t.Errorf("completed card contains hx-trigger:\n%s", html)
	}
	doc := parse(t, JobCardView(c))
	for _, attr := range []string{"hx-get", "hx-trigger", "hx-sync"} {
		if n := doc.Find("[" + attr + "]").Length(); n != 0 {
			t.Errorf("elements with %s = %d, want 0", attr, n)
		}
	}
	if doc.Find(`[data-testid="job-card"]`).HasClass("live") {
		t.Error("completed card has class live")
	}
	if got := doc.Find(`[data-testid="job-card"]`).AttrOr("data-status", ""); got != "COMPLETED" {
		t.Errorf("data-status = %q, want COMPLETED", got)
	}
}

func TestJobCardCannotCancel(t *testing.T) {
	c := processingCard()
	c.CanCancel = false // a viewer
	doc := parse(t, JobCardView(c))
	for _, sel := range []string{`[data-testid="cancel-button"]`, `[data-testid="cancel-dialog"]`, "dialog", "form"} {
		if n := doc.Find(sel).Length(); n != 0 {
			t.Errorf("%s: %d elements, want 0", sel, n)
		}
	}
}

// The card carries the link that loads its dialog, not the dialog; the
// dialog is its own fragment.
func TestJobCardCancelDialog(t *testing.T) {
	c := processingCard()
	card := parse(t, JobCardView(c))
	button := card.Find(`[data-testid="cancel-button"]`)
	if got := button.AttrOr("href", ""); got != c.ConfirmURL {
		t.Errorf("cancel link href = %q, want the no-JS confirmation %q", got, c.ConfirmURL)
	}
	if got := button.AttrOr("data-open-dialog", ""); got != "cancel-"+testJobID {
		t.Errorf("data-open-dialog = %q, want %q", got, "cancel-"+testJobID)
	}
	if got := button.AttrOr("data-dialog-url", ""); got != c.DialogURL {
		t.Errorf("data-dialog-url = %q, want %q", got, c.DialogURL)
	}
	if n := card.Find("dialog, form").Length(); n != 0 {
		t.Errorf("the card pre-renders %d dialog or form elements, want none", n)
	}
	doc := parse(t, CancelDialog(c, "#job-"+testJobID+":replace"))
	dialog := doc.Find(`dialog[data-testid="cancel-dialog"]`)
	if dialog.Length() != 1 {
		t.Fatalf("dialogs = %d, want 1", dialog.Length())
	}
	if got := dialog.AttrOr("id", ""); got != "cancel-"+testJobID {
		t.Errorf("dialog id = %q", got)
	}
	if _, open := dialog.Attr("open"); open {
		t.Error("dialog is rendered open")
	}
	// The labels point at elements that exist and say the right thing.
	title := doc.Find("#" + dialog.AttrOr("aria-labelledby", "missing"))
	if got := strings.TrimSpace(title.Text()); got != c.Confirm.Title {
		t.Errorf("dialog title = %q, want %q", got, c.Confirm.Title)
	}
	desc := doc.Find("#" + dialog.AttrOr("aria-describedby", "missing")).Text()
	for _, s := range []string{c.Confirm.Consequence, c.Confirm.Kept} {
		if !strings.Contains(desc, s) {
			t.Errorf("dialog description %q does not contain %q", desc, s)
		}
	}
	form := dialog.Find("form")
	wantForm := map[string]string{
		"method":          "post",
		"action":          c.CancelURL,
		"hx-post":         c.CancelURL,
		"hx-target":       "#job-" + testJobID,
		"hx-swap":         "outerHTML",
		"hx-sync":         "#job-" + testJobID + ":replace",
		"hx-disabled-elt": "find button[type=submit]",
		"data-card":       "job-" + testJobID,
	}
	for name, v := range wantForm {
		if got := form.AttrOr(name, ""); got != v {
			t.Errorf("form %s = %q, want %q", name, got, v)
		}
	}
	if got := form.Find(`input[type="hidden"][name="csrf"]`).AttrOr("value", ""); got != "tok-123" {
		t.Errorf("csrf input = %q, want tok-123", got)
	}
	reason := form.Find(`textarea[name="reason"]`)
	if got := reason.AttrOr("maxlength", ""); got != "500" {
		t.Errorf("reason maxlength = %q, want 500", got)
	}
	if label := form.Find(`label[for="` + reason.AttrOr("id", "x") + `"]`); !strings.Contains(label.Text(), "Reason") {
		t.Errorf("reason label = %q", label.Text())
	}
	keep := form.Find(`[data-testid="keep-running"]`)
	if _, ok := keep.Attr("autofocus"); !ok {
		t.Error("the safe button is not autofocused")
	}
	if _, ok := keep.Attr("data-close-dialog"); !ok || keep.AttrOr("type", "") != "button" {
		t.Errorf("keep button = %v, want type=button data-close-dialog", keep.Nodes[0].Attr)
	}
	confirm := form.Find(`[data-testid="confirm-cancel"]`)
	if confirm.AttrOr("type", "") != "submit" || !confirm.HasClass("danger") {
		t.Errorf("confirm button = %v, want type=submit class danger", confirm.Nodes[0].Attr)
	}
	if _, ok := confirm.Attr("autofocus"); ok {
		t.Error("the destructive button is autofocused")
	}
	if n := doc.Find("[autofocus]").Length(); n != 1 {
		t.Errorf("autofocus elements = %d, want 1", n)
	}
}

func TestCancelConfirmPanel(t *testing.T) {
	c := processingCard()
	doc := parse(t, CancelConfirmPanel(c))
	panel := doc.Find(`[data-testid="cancel-panel"]`)
	if panel.Length() != 1 || goquery.NodeName(panel) != "section" {
		t.Fatalf("panel = %d %s, want one section", panel.Length(), goquery.NodeName(panel))
	}
	if !strings.Contains(panel.Text(), c.Confirm.Consequence) {
		t.Error("panel does not state the consequence")
	}
	form := panel.Find("form")
	if got := form.AttrOr("action", ""); got != c.CancelURL {
		t.Errorf("form action = %q, want %q", got, c.CancelURL)
	}
	if _, ok := form.Attr("hx-post"); ok {
		t.Error("the no-JS panel form uses hx-post")
	}
	if got := form.Find(`input[name="csrf"]`).AttrOr("value", ""); got != "tok-123" {
		t.Errorf("csrf = %q", got)
	}
	if got := panel.Find(`[data-testid="keep-running"]`).AttrOr("href", ""); got != c.URL {
		t.Errorf("keep link = %q, want the job page", got)
	}
}

func TestJobCardOptionalCounters(t *testing.T) {
	tests := []struct {
		name              string
		skipped, canceled string
		want              []string
	}{
		{"older shape", "", "", []string{"total", "pending", "successful", "failed"}},
		{"newer shape", "0", "1,204", []string{"total", "pending", "successful", "failed", "skipped", "cancelled"}},
		{"only skipped", "7", "", []string{"total", "pending", "successful", "failed", "skipped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := processingCard()
			c.Skipped, c.Cancelled = tt.skipped, tt.canceled
			doc := parse(t, JobCardView(c))
			var got []string
			doc.Find(`[data-testid="counters"] > div`).Each(func(_ int, s *goquery.Selection) {
				got = append(got, strings.TrimPrefix(s.AttrOr("data-testid", ""), "counter-"))
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("counters (-want +got):\n%s", diff)
			}
			if tt.canceled != "" {
				if got := strings.TrimSpace(doc.Find(`[data-testid="counter-cancelled"] dd`).Text()); got != tt.canceled {
					t.Errorf("cancelled = %q, want %q", got, tt.canceled)
				}
			}
		})
	}
}

func TestJobCardErrorAndNotice(t *testing.T) {
	c := processingCard()
	c.Error = "Cloudflare refused the cancel: your token cannot edit this account."
	c.Notice = "Cancelled. 1,204 pending messages will not be moved."
	doc := parse(t, JobCardView(c))
	if got := doc.Find(`[data-testid="card-error"]`).AttrOr("role", ""); got != "alert" {
		t.Errorf("card-error role = %q, want alert", got)
	}
	if got := doc.Find(`[data-testid="card-notice"]`).AttrOr("role", ""); got != "status" {
		t.Errorf("card-notice role = %q, want status", got)
	}
	if got := doc.Find(`[data-testid="card-error"]`).Text(); got != c.Error {
		t.Errorf("card-error = %q, want %q", got, c.Error)
	}
}

func TestJobCardProgressClamped(t *testing.T) {
	for pct, want := range map[int]string{-5: "0", 0: "0", 100: "100", 250: "100"} {
		c := completedCard()
		c.ProgressPct = pct
		doc := parse(t, JobCardView(c))
		if got := doc.Find("progress").AttrOr("value", ""); got != want {
			t.Errorf("ProgressPct %d: value = %q, want %q", pct, got, want)
		}
	}
}

func TestJobCardUnknownStatusClass(t *testing.T) {
	c := completedCard()
	c.StatusClass = `ok" onmouseover="x`
	doc := parse(t, JobCardView(c))
	if got := doc.Find(`[data-testid="status-badge"]`).AttrOr("class", ""); got != "badge badge-unknown" {
		t.Errorf("badge class = %q, want %q", got, "badge badge-unknown")
	}
}

func TestJobCardGolden(t *testing.T) {
	// One tag per line keeps the diff readable; the split does not change
	// what is compared.
	got := strings.ReplaceAll(render(t, JobCardView(processingCard())), "><", ">\n<") + "\n"
	path := filepath.Join("testdata", "job_card.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./views -run Golden -update): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("JobCardView() mismatch (-want +got); rerun with -update if intended:\n%s", diff)
	}
}
