package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

// The list polls with one poller inside the region; the cards never poll.
func TestJobListRegionPollsAsOneFragment(t *testing.T) {
	d := jobsPage(3)
	doc := parse(t, JobListRegion(d.List))
	list := doc.Find(`[data-testid="job-list"]`)
	if !list.HasClass("sync-root") || list.AttrOr("id", "") != "job-list" {
		t.Error("list is not the sync root #job-list")
	}
	poller := list.Find(`[data-testid="job-list-poll"]`)
	want := map[string]string{
		"id":         "job-list-poll",
		"hx-get":     d.List.RefreshURL,
		"hx-trigger": "every 5s, refresh",
		"hx-swap":    "outerHTML",
		"hx-sync":    "closest .sync-root:drop",
	}
	for name, v := range want {
		if got := poller.AttrOr(name, ""); got != v {
			t.Errorf("poller %s = %q, want %q", name, got, v)
		}
	}
	if _, ok := poller.Attr("hidden"); !ok {
		t.Error("the poller is not hidden")
	}
	if n := doc.Find(`[data-testid="job-card"]`).Length(); n != 3 {
		t.Errorf("cards = %d, want 3", n)
	}
	if n := doc.Find("[hx-trigger]").Length(); n != 1 {
		t.Errorf("elements with hx-trigger = %d, want 1 (the poller only; cards never poll on the list)", n)
	}
	if n := doc.Find("dialog, form").Length(); n != 0 {
		t.Errorf("the list pre-renders %d dialogs or forms, want none (the dialog loads when opened)", n)
	}
}

// A list poll's answer: the poller, then the changed cards out of band; the
// last live job ending leaves a poller without a trigger.
func TestJobListPoll(t *testing.T) {
	d := jobsPage(2)
	cards := d.List.Cards
	for i := range cards {
		cards[i].OOB = true
	}
	doc := parse(t, JobListPoll(JobListPollData{RefreshURL: "/poll?v=9", Cards: cards}))
	if got := doc.Find(`body > #job-list-poll`).AttrOr("hx-get", ""); got != "/poll?v=9" {
		t.Errorf("poller hx-get = %q", got)
	}
	oob := doc.Find(`body > article[data-testid="job-card"][hx-swap-oob="true"]`)
	if oob.Length() != 2 || oob.First().AttrOr("id", "") != "job-"+cards[0].ID {
		t.Errorf("out-of-band cards = %d, want 2 with their ids", oob.Length())
	}
	doc = parse(t, JobListPoll(JobListPollData{Cards: cards[:1]}))
	if n := doc.Find(`#job-list-poll`).Length(); n != 1 || doc.Find("[hx-trigger], [hx-get]").Length() != 0 {
		t.Errorf("the last poll's answer: pollers %d, and no trigger wanted", n)
	}
}

func TestJobListRegionWithoutLiveJobsDoesNotPoll(t *testing.T) {
	d := jobsPage(2)
	d.List.RefreshURL = ""
	doc := parse(t, JobListRegion(d.List))
	if n := doc.Find("[hx-trigger], #job-list-poll").Length(); n != 0 {
		t.Errorf("elements that poll = %d, want 0", n)
	}
}

func TestJobListRegionStates(t *testing.T) {
	l := JobList{Error: "Cloudflare did not answer in time.", Empty: "No jobs match these filters.", Stale: sampleStale()}
	doc := parse(t, JobListRegion(l))
	if got := doc.Find(`[data-testid="list-error"]`).AttrOr("role", ""); got != "alert" {
		t.Errorf("error role = %q, want alert", got)
	}
	if doc.Find(`[data-testid="stale"]`).Length() != 1 {
		t.Error("stale notice missing")
	}
	if got := doc.Find(`[data-testid="list-empty"]`).Text(); got != l.Empty {
		t.Errorf("empty = %q", got)
	}
	if n := doc.Find(`[data-testid="jobs-pager"]`).Length(); n != 0 {
		t.Errorf("pager shown without pages")
	}
}

func TestJobListPager(t *testing.T) {
	d := jobsPage(1)
	doc := parse(t, JobListRegion(d.List))
	for rel, url := range map[string]string{"prev": d.List.PrevURL, "next": d.List.NextURL} {
		a := doc.Find(`a[rel="` + rel + `"]`)
		want := map[string]string{
			"href": url, "hx-get": url, "hx-target": "#job-list", "hx-swap": "outerHTML",
			"hx-push-url": "true", "hx-sync": "closest .sync-root:replace",
		}
		for name, v := range want {
			if got := a.AttrOr(name, ""); got != v {
				t.Errorf("%s link %s = %q, want %q", rel, name, got, v)
			}
		}
	}
}

func TestJobsPageFilters(t *testing.T) {
	d := jobsPage(1)
	doc := parse(t, JobsPage(d))
	form := doc.Find(`form[data-testid="job-filters"]`)
	want := map[string]string{
		"method": "get", "action": d.Filters.ActionURL, "hx-get": d.Filters.ActionURL,
		"hx-target": "#job-list", "hx-swap": "outerHTML", "hx-push-url": "true",
	}
	for name, v := range want {
		if got := form.AttrOr(name, ""); got != v {
			t.Errorf("filter form %s = %q, want %q", name, got, v)
		}
	}
	if got := form.AttrOr("hx-trigger", ""); !strings.Contains(got, "change") {
		t.Errorf("filter form hx-trigger = %q, want change", got)
	}
	if form.Find(`button[type="submit"]`).Length() != 1 {
		t.Error("no submit button for the no-JS path")
	}
	selected := func(name string) string {
		return form.Find(`select[name="`+name+`"] option[selected]`).AttrOr("value", "none")
	}
	if got := selected("status"); got != "PROCESSING" {
		t.Errorf("selected status = %q", got)
	}
	if got := selected("action_type"); got != "" {
		t.Errorf("selected action = %q, want any", got)
	}
	if got := selected("per_page"); got != "50" {
		t.Errorf("selected per_page = %q", got)
	}
	var sizes []string
	form.Find(`select[name="per_page"] option`).Each(func(_ int, s *goquery.Selection) { sizes = append(sizes, s.AttrOr("value", "")) })
	if diff := cmp.Diff([]string{"20", "50", "100"}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	// Every select has a label.
	form.Find("select").Each(func(_ int, s *goquery.Selection) {
		if form.Find(`label[for="`+s.AttrOr("id", "x")+`"]`).Length() != 1 {
			t.Errorf("select %s has no label", s.AttrOr("name", ""))
		}
	})
	if n := doc.Find("#job-list").Length(); n != 1 {
		t.Errorf("#job-list = %d", n)
	}
}

func TestJobsPageIDsUnique(t *testing.T) {
	doc := parse(t, JobsPage(jobsPage(20)))
	seen := map[string]bool{}
	doc.Find("[id]").Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("id", "")
		if seen[id] {
			t.Errorf("duplicate id %q", id)
		}
		seen[id] = true
	})
}
