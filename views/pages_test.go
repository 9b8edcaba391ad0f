package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestLoginPage(t *testing.T) {
	p := testPage()
	p.User = nil
	doc := parse(t, LoginPage(LoginData{Page: p, Email: "ana@example.com", Next: "/accounts/x/jobs", Error: "Wrong email or password."}))
	form := doc.Find(`form[action="/login"]`)
	if form.AttrOr("method", "") != "post" {
		t.Errorf("login form method = %q", form.AttrOr("method", ""))
	}
	hidden := map[string]string{"csrf": "tok-123", "next": "/accounts/x/jobs"}
	for name, v := range hidden {
		if got := form.Find(`input[type="hidden"][name="`+name+`"]`).AttrOr("value", ""); got != v {
			t.Errorf("hidden %s = %q, want %q", name, got, v)
		}
	}
	if got := form.Find(`input[name="email"]`).AttrOr("autocomplete", ""); got != "username" {
		t.Errorf("email autocomplete = %q", got)
	}
	pw := form.Find(`input[name="password"]`)
	if pw.AttrOr("autocomplete", "") != "current-password" || pw.AttrOr("type", "") != "password" {
		t.Errorf("password input = %v", pw.Nodes[0].Attr)
	}
	if _, ok := pw.Attr("value"); ok {
		t.Error("password has a value")
	}
	if got := doc.Find(`[data-testid="login-error"]`).AttrOr("role", ""); got != "alert" {
		t.Errorf("error role = %q", got)
	}
}

func TestCredentialsPage(t *testing.T) {
	d := CredentialsData{
		Page: testPage(),
		Credentials: []CredentialRow{{
			ID: "c1", Label: "Acme prod", AccountID: testAccountID, Kind: "API token", Last4: "ab12",
			TestResult: "Worked 2 minutes ago", TestOK: true,
			TestURL: "/credentials/c1/test", DeleteURL: "/credentials/c1/delete", JobsURL: "/accounts/" + testAccountID + "/jobs",
		}},
		Form: CredentialForm{
			Label: "New", AccountID: "nothex", Kind: "key", Email: "ops@example.com",
			Errors: map[string]string{"account_id": "An account ID is 32 hexadecimal characters.", "key": "Enter the global API key.", "form": "Could not save."},
			Notice: "Add a credential for account " + testAccountID + " to open the shared link.",
		},
	}
	doc := parse(t, CredentialsPage(d))
	row := doc.Find(`[data-testid="credential-row"]`)
	if !strings.Contains(row.Text(), "…ab12") {
		t.Errorf("row does not show …ab12: %q", row.Text())
	}
	if got := row.Find(`a[href="/accounts/` + testAccountID + `/jobs"]`).Text(); got != testAccountID {
		t.Errorf("account link = %q", got)
	}
	for _, action := range []string{"/credentials/c1/test", "/credentials/c1/delete"} {
		f := row.Find(`form[action="` + action + `"]`)
		if f.AttrOr("method", "") != "post" || f.Find(`input[name="csrf"]`).AttrOr("value", "") != "tok-123" {
			t.Errorf("form %s: method %q, csrf %q", action, f.AttrOr("method", ""), f.Find(`input[name="csrf"]`).AttrOr("value", ""))
		}
	}
	form := doc.Find(`form[data-testid="credential-form"]`)
	if form.AttrOr("action", "") != "/credentials" || form.AttrOr("method", "") != "post" {
		t.Errorf("add form = %v", form.Nodes[0].Attr)
	}
	// Secrets are never rendered back.
	form.Find(`input[type="password"]`).Each(func(_ int, s *goquery.Selection) {
		if _, ok := s.Attr("value"); ok {
			t.Errorf("secret input %s has a value", s.AttrOr("name", ""))
		}
		if s.AttrOr("autocomplete", "") != "off" {
			t.Errorf("secret input %s autocomplete = %q", s.AttrOr("name", ""), s.AttrOr("autocomplete", ""))
		}
	})
	if n := form.Find(`input[type="password"]`).Length(); n != 2 {
		t.Errorf("password inputs = %d, want token and key", n)
	}
	acct := form.Find(`input[name="account_id"]`)
	if acct.AttrOr("pattern", "") != "[0-9a-f]{32}" || acct.AttrOr("value", "") != "nothex" {
		t.Errorf("account input = %v", acct.Nodes[0].Attr)
	}
	if acct.AttrOr("aria-invalid", "") != "true" {
		t.Error("account input not aria-invalid")
	}
	for _, name := range []string{"account_id", "key"} {
		input := form.Find(`[name="` + name + `"]`)
		ids := strings.Fields(input.AttrOr("aria-describedby", ""))
		found := false
		for _, id := range ids {
			if doc.Find("#"+id).Text() == d.Form.Errors[name] {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: aria-describedby %v does not point at its error", name, ids)
		}
	}
	if got := form.Find(`input[name="kind"][checked]`).AttrOr("value", ""); got != "key" {
		t.Errorf("checked kind = %q, want key", got)
	}
	if got := doc.Find(`[data-testid="credential-notice"]`).Text(); got != d.Form.Notice {
		t.Errorf("notice = %q", got)
	}
	if got := doc.Find(`[data-testid="error-form"]`).AttrOr("role", ""); got != "alert" {
		t.Errorf("form error role = %q", got)
	}
	if form.Find(`input[name="label"]`).AttrOr("aria-invalid", "") == "true" {
		t.Error("label marked invalid without an error")
	}
}

func TestAccountsPage(t *testing.T) {
	doc := parse(t, AccountsPage(AccountsData{Page: testPage(), Accounts: []AccountRow{{AccountID: testAccountID, Labels: "Acme prod", JobsURL: "/accounts/" + testAccountID + "/jobs"}}}))
	if got := doc.Find(`[data-testid="account-row"] a`).AttrOr("href", ""); got != "/accounts/"+testAccountID+"/jobs" {
		t.Errorf("account link = %q", got)
	}
	doc = parse(t, AccountsPage(AccountsData{Page: testPage()}))
	if doc.Find(`[data-testid="accounts-empty"] a[href="/credentials"]`).Length() != 1 {
		t.Error("empty accounts page does not link to /credentials")
	}
}

func TestJobPage(t *testing.T) {
	d := sampleJobPage()
	doc := parse(t, JobPage(d))
	if n := doc.Find(`[data-testid="job-card"]`).Length(); n != 1 {
		t.Fatalf("cards = %d", n)
	}
	if doc.Find(`[data-testid="job-card"]`).AttrOr("hx-trigger", "") == "" {
		t.Error("live job page card does not poll")
	}
	if doc.Find(".sync-root [data-testid=\"job-card\"]").Length() != 1 {
		t.Error("card is not inside a sync root")
	}
	if got := doc.Find(`[data-testid="breadcrumb-jobs"]`).AttrOr("href", ""); got != "/accounts/"+testAccountID+"/jobs" {
		t.Errorf("breadcrumb = %q", got)
	}
	copyBtn := doc.Find(`[data-testid="copy-link"]`)
	if copyBtn.AttrOr("data-copy", "") != d.ShareURL || copyBtn.AttrOr("type", "") != "button" {
		t.Errorf("copy button = %v", copyBtn.Nodes[0].Attr)
	}
	share := doc.Find(`[data-testid="share-url"]`)
	if _, ro := share.Attr("readonly"); !ro || share.AttrOr("value", "") != d.ShareURL {
		t.Errorf("share input = %v", share.Nodes[0].Attr)
	}
	if got := doc.Find(`[data-testid="field-note"]`).Text(); got != "deprecated upstream" {
		t.Errorf("note = %q", got)
	}
	if n := doc.Find(`[data-testid="search-params"] dt`).Length(); n != 1 {
		t.Errorf("search params = %d", n)
	}
	if n := doc.Find(`[data-testid="cancel-panel"]`).Length(); n != 0 {
		t.Errorf("confirmation panel shown without ConfirmOpen")
	}

	d.ConfirmOpen = true
	doc = parse(t, JobPage(d))
	if n := doc.Find(`[data-testid="cancel-panel"]`).Length(); n != 1 {
		t.Errorf("confirmation panel = %d with ConfirmOpen", n)
	}
	d.Card.CanCancel = false
	doc = parse(t, JobPage(d))
	if doc.Find(`[data-testid="cancel-panel"]`).Length() != 0 || doc.Find(`[data-testid="cannot-cancel"]`).Length() != 1 {
		t.Error("ConfirmOpen without CanCancel must explain instead of offering the form")
	}
}

func TestMessagesRegion(t *testing.T) {
	m := sampleJobPage().Messages
	doc := parse(t, MessagesRegion(m))
	region := doc.Find(`section#messages[data-testid="messages"]`)
	if region.Length() != 1 {
		t.Fatal("no #messages region")
	}
	form := region.Find("form")
	want := map[string]string{"method": "get", "action": m.ActionURL, "hx-get": m.ActionURL, "hx-target": "#messages", "hx-swap": "outerHTML"}
	for name, v := range want {
		if got := form.AttrOr(name, ""); got != v {
			t.Errorf("filter %s = %q, want %q", name, got, v)
		}
	}
	if region.Find("table caption").Length() != 1 {
		t.Error("table has no caption")
	}
	var heads []string
	region.Find(`thead th[scope="col"]`).Each(func(_ int, s *goquery.Selection) { heads = append(heads, s.Text()) })
	if strings.Join(heads, "|") != "Recipient|Status|Retries|Reason|Processed|Postfix ID|Message-ID" {
		t.Errorf("headers = %v", heads)
	}
	if got := region.Find(`a[rel="next"]`).AttrOr("hx-target", ""); got != "#messages" {
		t.Errorf("next hx-target = %q", got)
	}
	if n := region.Find(`[data-testid="message-row"]`).Length(); n != 1 {
		t.Errorf("rows = %d", n)
	}

	doc = parse(t, MessagesRegion(MessageList{Error: "Cloudflare refused.", Empty: "No messages."}))
	if doc.Find(`[data-testid="messages-error"][role="alert"]`).Length() != 1 || doc.Find(`[data-testid="messages-empty"]`).Text() != "No messages." {
		t.Error("error or empty state missing")
	}
}

func TestErrorViews(t *testing.T) {
	doc := parse(t, ErrorPage(ErrorData{Page: testPage(), Status: 404, Heading: "Not found", Message: "There is no such job."}))
	if doc.Find("h1").Text() != "Not found" || doc.Find(`[data-testid="error-message"]`).Text() != "There is no such job." {
		t.Errorf("error page = %q", doc.Find("main").Text())
	}
	doc = parse(t, ErrorAlert("Your session expired."))
	flash := doc.Find("#flash")
	if flash.AttrOr("hx-swap-oob", "") != "true" || flash.AttrOr("role", "") != "alert" || flash.Text() != "Your session expired." {
		t.Errorf("ErrorAlert = %v %q", flash.Nodes[0].Attr, flash.Text())
	}
	doc = parse(t, NoCredentialPage(NoCredentialData{Page: testPage(), AccountID: testAccountID, AddURL: "/credentials?account_id=" + testAccountID}))
	if !strings.Contains(doc.Find("main").Text(), testAccountID) {
		t.Error("no-credential page does not name the account")
	}
	if got := doc.Find(`[data-testid="add-credential"]`).AttrOr("href", ""); got != "/credentials?account_id="+testAccountID {
		t.Errorf("add link = %q", got)
	}
}
