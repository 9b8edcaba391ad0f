package views

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/respond/bulkjobs/static"
)

var hostile = []string{
	`<script>alert(1)</script>`,
	`" onmouseover="x`,
	`<img src=x onerror=alert(1)>`,
	`javascript:alert(1)`,
	`'><svg onload=alert(1)>`,
}

// hostileViews renders every component with s in each free-text field that
// Cloudflare or a user controls.
func hostileViews(s string) map[string]templ.Component {
	c := processingCard()
	c.Comment, c.StatusMsg, c.Action, c.Error, c.Notice = s, s, s, s, s
	c.Status, c.StatusLabel, c.StatusClass = s, s, s
	c.Total, c.Skipped, c.Cancelled, c.ProgressLabel = s, s, s, s
	c.Created = Time{Relative: s, Exact: s, ISO: s}
	c.Confirm = CancelConfirm{Title: s, Consequence: s, Kept: s}
	c.CSRFToken = s
	c.URL, c.ConfirmURL, c.CancelURL = s, s, s

	p := testPage()
	p.Title, p.CSRFToken = s, s
	p.User.Email, p.User.Role = s, s
	p.Flash = &Flash{Kind: s, Message: s}

	jp := sampleJobPage()
	jp.Page, jp.Card, jp.ShareURL, jp.ConfirmOpen = p, c, s, true
	jp.Fields = []Field{{Label: s, Value: s, Note: s}}
	jp.SearchParams = jp.Fields
	jp.Messages.Rows[0].Recipient = s
	jp.Messages.Rows[0].Reason = s
	jp.Messages.Rows[0].EmailMessageID = s
	jp.Messages.Rows[0].Status = s
	jp.Messages.Error = s

	jd := jobsPage(1)
	jd.Page, jd.AccountID = p, s
	jd.List.Cards[0] = c
	jd.List.Error, jd.List.Empty = s, s
	jd.Filters.Statuses = []string{s}

	creds := CredentialsData{
		Page:        p,
		Credentials: []CredentialRow{{Label: s, AccountID: s, Kind: s, Last4: s, TestResult: s, JobsURL: s, TestURL: s, DeleteURL: s}},
		Form:        CredentialForm{Label: s, AccountID: s, Kind: s, Email: s, Notice: s, Errors: map[string]string{"label": s, "form": s}},
	}
	return map[string]templ.Component{
		"JobCardView":      JobCardView(c),
		"JobPage":          JobPage(jp),
		"JobsPage":         JobsPage(jd),
		"CredentialsPage":  CredentialsPage(creds),
		"AccountsPage":     AccountsPage(AccountsData{Page: p, Accounts: []AccountRow{{AccountID: s, Labels: s, JobsURL: s}}}),
		"LoginPage":        LoginPage(LoginData{Page: p, Email: s, Next: s, Error: s}),
		"ErrorPage":        ErrorPage(ErrorData{Page: p, Heading: s, Message: s}),
		"ErrorAlert":       ErrorAlert(s),
		"NoCredentialPage": NoCredentialPage(NoCredentialData{Page: p, AccountID: s, AddURL: s}),
	}
}

func TestHostileStringsAreEscaped(t *testing.T) {
	for _, s := range hostile {
		for name, comp := range hostileViews(s) {
			t.Run(name, func(t *testing.T) {
				html := render(t, comp)
				doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
				if err != nil {
					t.Fatal(err)
				}
				doc.Find("script").Each(func(_ int, e *goquery.Selection) {
					if src := e.AttrOr("src", ""); src != static.Path("js/htmx.min.js") && src != static.Path("js/app.js") {
						t.Errorf("%q: unexpected <script src=%q>", s, src)
					}
				})
				if n := doc.Find("img, svg, iframe, object, embed").Length(); n != 0 {
					t.Errorf("%q: %d injected elements", s, n)
				}
				doc.Find("*").Each(func(_ int, e *goquery.Selection) {
					for _, a := range e.Nodes[0].Attr {
						name := strings.ToLower(a.Key)
						if strings.HasPrefix(name, "on") || strings.HasPrefix(name, "hx-on") || name == "style" {
							t.Errorf("%q: <%s> has attribute %s=%q", s, goquery.NodeName(e), a.Key, a.Val)
						}
						if (name == "href" || name == "action" || name == "src") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
							t.Errorf("%q: <%s %s=%q>", s, goquery.NodeName(e), a.Key, a.Val)
						}
					}
				})
				// The text is shown, escaped, not dropped.
				if s != `javascript:alert(1)` && !strings.Contains(doc.Text(), s) && !strings.Contains(html, templ.EscapeString(s)) {
					t.Errorf("%q: text not shown", s)
				}
			})
		}
	}
}

// TestTemplFilesAreSafe fails on constructs that bypass escaping or break the
// strict CSP (script-src 'self'; style-src 'self').
func TestTemplFilesAreSafe(t *testing.T) {
	files, err := filepath.Glob("*.templ")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templ files: %v", err)
	}
	forbidden := []string{"templ.Raw", "templ.SafeURL", "JSUnsafeFuncCall", "templ.SafeCSS", "style=", "<style", "@templ.JSONScript"}
	inlineScript := regexp.MustCompile(`(?i)<script\b([^>]*)>`)
	inlineHandler := regexp.MustCompile(`(?i)\s(on[a-z]+|hx-on[:\-a-z]*)\s*=`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, bad := range forbidden {
			if strings.Contains(src, bad) {
				t.Errorf("%s contains %q", f, bad)
			}
		}
		for _, m := range inlineScript.FindAllStringSubmatch(src, -1) {
			if !strings.Contains(m[1], "src=") {
				t.Errorf("%s has an inline script: %s", f, m[0])
			}
		}
		if m := inlineHandler.FindString(src); m != "" {
			t.Errorf("%s has an inline event handler: %q", f, m)
		}
	}
}
