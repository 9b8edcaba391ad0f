package views

import (
	"encoding/json"
	"strconv"
	"strings"
)

// htmxConfig is the content of <meta name="htmx-config">. Eval and script
// tags are off so a strict CSP holds, history is never cached in
// localStorage (pages can hold incident data) and a history miss reloads the
// page instead of asking for a fragment. 4xx and 5xx answers are swapped so
// error cards and the #flash alert render.
const htmxConfig = `{"allowEval":false,"allowScriptTags":false,"historyCacheSize":0,"refreshOnHistoryMiss":true,` +
	`"includeIndicatorStyles":false,"selfRequestsOnly":true,"responseHandling":[` +
	`{"code":"204","swap":false},{"code":"[23]..","swap":true},` +
	`{"code":"[45]..","swap":true,"error":false},{"code":"...","swap":false}]}`

// csrfHeaders returns the hx-headers JSON that sends token as X-CSRF-Token.
// encoding/json quotes and escapes the token; templ then escapes the
// attribute.
func csrfHeaders(token string) string {
	b, err := json.Marshal(struct {
		Token string `json:"X-CSRF-Token"`
	}{token})
	if err != nil { // cannot happen for a string field
		return "{}"
	}
	return string(b)
}

// pageTitle is the document title.
func pageTitle(title string) string {
	if title == "" {
		return "Bulk jobs"
	}
	return title + " · Bulk jobs"
}

// badgeClasses are the status badge's classes per StatusClass, the
// modifiers app.css styles. They are whole strings, built once: a list of
// classes or a conditional class would go through templ's class handling
// piece by piece on every card.
var badgeClasses = map[string]string{
	"pending": "badge badge-pending", "running": "badge badge-running", "ok": "badge badge-ok",
	"failed": "badge badge-failed", "cancelled": "badge badge-cancelled", "skipped": "badge badge-skipped",
	"unknown": "badge badge-unknown",
}

// badgeClass is the badge's classes; anything unexpected is shown as
// "unknown" rather than unstyled.
func badgeClass(statusClass string) string {
	if cls, ok := badgeClasses[statusClass]; ok {
		return cls
	}
	return badgeClasses["unknown"]
}

// cardClasses are the job card's classes per StatusClass, without and with
// the self-polling card's sync-root and live.
var cardClasses = func() map[string][2]string {
	m := map[string][2]string{"": {"job-card", "job-card sync-root live"}}
	for sc := range badgeClasses {
		m[sc] = [2]string{"job-card job-" + sc, "job-card job-" + sc + " sync-root live"}
	}
	return m
}()

// cardClass is the job card's classes: its status, and sync-root and live
// only when the card polls itself.
func cardClass(c JobCard) string {
	cls, ok := cardClasses[c.StatusClass]
	if !ok {
		cls = cardClasses[""]
	}
	if selfPolls(c) {
		return cls[1]
	}
	return cls[0]
}

// selfPolls reports whether the card carries its own polling trigger.
func selfPolls(c JobCard) bool { return c.SelfPoll && c.Live }

// progressValue clamps pct to 0..100 for <progress value>.
func progressValue(pct int) string {
	return strconv.Itoa(min(max(pct, 0), 100))
}

// maskedSecret shows the last characters of a stored secret, or a neutral
// placeholder when there are too few to show.
func maskedSecret(last4 string) string {
	switch {
	case last4 == "":
		return "hidden"
	case strings.HasPrefix(last4, "…"):
		return last4
	default:
		return "…" + last4
	}
}

// orDash shows an empty value as an em dash.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// pageSizes are the per-page choices, defaulting to 20/50/100.
func pageSizes(sizes []int) []int {
	if len(sizes) == 0 {
		return []int{20, 50, 100}
	}
	return sizes
}

// fieldError returns the error for a form field, "" when there is none.
func fieldError(f CredentialForm, name string) string {
	return f.Errors[name]
}

// describedBy joins the IDs of the hint and, when the field has an error,
// the error message, for aria-describedby.
func describedBy(f CredentialForm, name, hintID string) string {
	ids := make([]string, 0, 2)
	if hintID != "" {
		ids = append(ids, hintID)
	}
	if fieldError(f, name) != "" {
		ids = append(ids, "error-"+name)
	}
	return strings.Join(ids, " ")
}

// credentialKind is the kind radio's value, "token" unless the form says key.
func credentialKind(f CredentialForm) string {
	if f.Kind == "key" {
		return "key"
	}
	return "token"
}

// errorHeading is the error page's heading.
func errorHeading(d ErrorData) string {
	if d.Heading != "" {
		return d.Heading
	}
	return "Something went wrong"
}

// itoa formats an int for an attribute or text.
func itoa(n int) string { return strconv.Itoa(n) }

// flashClasses styles a flash message by kind: ok, error or info.
func flashClasses(kind string) []string {
	switch kind {
	case "ok", "error":
	default:
		kind = "info"
	}
	return []string{"flash", "flash-" + kind}
}

// messagesCaption is the caption of the per-message table.
func messagesCaption(page int) string {
	if page > 0 {
		return "Per-message results, page " + strconv.Itoa(page)
	}
	return "Per-message results"
}
