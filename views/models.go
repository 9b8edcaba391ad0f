// Package views holds the dashboard's templ components and their view models.
// View models are plain structs with display-ready fields: handlers map domain
// values (apiclient, store) to them, and views never import those packages.
package views

// Page is what every full page needs from the layout.
type Page struct {
	Title     string
	CSRFToken string // sent by htmx in X-CSRF-Token (hx-headers on <body>) and by forms as "csrf"
	User      *UserInfo
	Flash     *Flash
	Nav       string // "jobs", "credentials", "accounts", "audit": the active menu entry
}

// UserInfo is the signed-in analyst as the layout shows them.
type UserInfo struct {
	Email string
	Role  string // "viewer", "responder" or "admin"
	Admin bool
}

// Flash is a one-line message shown at the top of a page.
type Flash struct {
	Kind    string // "ok", "error", "info"
	Message string
}

// LoginData is the login form.
type LoginData struct {
	Page
	Email string
	Next  string // local path to return to after login
	Error string
}

// CredentialsData is the credentials page.
type CredentialsData struct {
	Page
	Credentials []CredentialRow
	Form        CredentialForm
}

// CredentialRow is one stored credential; the secret is never here.
type CredentialRow struct {
	ID         string
	Label      string
	AccountID  string
	Kind       string // "API token" or "Global API key (email)"
	Last4      string // "…ab12", or "" when too short to show
	CreatedAt  Time
	TestResult string // "" when never tested, else a sentence
	TestOK     bool
	TestURL    string // POST target to test this credential
	DeleteURL  string // POST target to delete this credential
	JobsURL    string // the account's job list
}

// CredentialForm is the "add a credential" form, refilled after an error
// (never with the secret).
type CredentialForm struct {
	Label     string
	AccountID string
	Kind      string // "token" or "key"
	Email     string
	Errors    map[string]string // field name → message
	Notice    string            // e.g. "Add a credential for account … to open the shared link"
}

// AccountsData is the account chooser.
type AccountsData struct {
	Page
	Accounts []AccountRow
}

// AccountRow is one account the analyst has a credential for.
type AccountRow struct {
	AccountID string
	Labels    string
	JobsURL   string
}

// JobsData is the job list page of one account.
type JobsData struct {
	Page
	AccountID string
	Filters   JobFilters
	List      JobList
}

// JobFilters are the list's filter form values and choices.
type JobFilters struct {
	Status     string // "" = any
	ActionType string // "" = any
	PerPage    int
	Statuses   []string // the choices, in lifecycle order
	Actions    []string
	PageSizes  []int
	ActionURL  string // the list URL the form GETs
}

// JobList is the refreshable region of the job list page: the cards and the
// pager. It is rendered alone for htmx filter changes and list refreshes.
type JobList struct {
	Cards      []JobCard
	Page       int
	PrevURL    string // "" on the first page
	NextURL    string // "" when the API says this was the last page
	Error      string // a sentence when the upstream call failed
	Empty      string // message when there are no jobs
	RefreshURL string // set while any card is live: the URL of the list's poller (its version and live cards)
	Stale      *Stale // set when the list is an older answer
	Capped     string // a sentence when Cloudflare sent more jobs than the page size (only a page is shown)
}

// JobListPollData is a list poll's answer: the poller and the cards that
// changed since the version the page showed.
type JobListPollData struct {
	RefreshURL string    // the poller's next URL; "" once nothing on the page is live
	Cards      []JobCard // swapped in out of band, each by its id
}

// Stale marks data that is an older answer from Cloudflare than usual: the
// list, a card and the messages show it the same way.
type Stale struct {
	AsOf   Time   // when Cloudflare gave the answer
	Clock  string // the same as "09:02:13 UTC"
	Reason string // one sentence: why no newer answer could be had
}

// JobCard is one job's card: the same component on the list, the job page, the
// polling fragment and the cancel answer.
type JobCard struct {
	ID          string
	ShortID     string // first 8 characters
	AccountID   string
	URL         string // the job page (shareable link)
	CardURL     string // GET: the card fragment (polling)
	CancelURL   string // POST: cancel
	ConfirmURL  string // GET: the job page with the cancel confirmation open (no-JS path)
	DialogURL   string // GET: the cancel dialog fragment, loaded when "Cancel job…" is opened
	SelfPoll    bool   // the card polls itself (job page); on the list the list's poller asks instead
	OOB         bool   // rendered as an out-of-band swap (a list poll's changed card)
	Status      string // e.g. "PROCESSING"
	StatusLabel string // e.g. "Processing"
	StatusClass string // CSS modifier: "pending", "running", "ok", "failed", "cancelled", "skipped", "unknown"
	Live        bool   // not terminal: the card polls itself
	Action      string // "MOVE → Deleted Items" or "RELEASE from quarantine"
	ActionType  string
	Destination string // readable destination, "" for RELEASE
	Comment     string
	StatusMsg   string

	Total         string // formatted counters, e.g. "1,204"
	Pending       string
	Successful    string
	Failed        string
	Skipped       string // "" when the API did not report it (older shape)
	Cancelled     string // "" when the API did not report it
	ProgressPct   int    // 0..100: (total - pending) / total
	ProgressLabel string // e.g. "3,310 of 4,514 done (73%)"

	Created   Time
	Started   Time
	Completed Time

	CanCancel bool   // responder and cancellable status (or a status unknown, see Unknown)
	Stale     *Stale // set when the card shows an older answer
	Unknown   string // set when the job could not be read at all: why, in one sentence; the card then shows its IDs, Retry and Cancel
	Error     string // a sentence shown in the card (failed poll or cancel)
	Notice    string // a success sentence (e.g. "Cancelled. 1,204 pending messages will not be moved.")
	Confirm   CancelConfirm
	CSRFToken string // the session's token, posted as "csrf" by the cancel form (needed only when CanCancel)
}

// CancelConfirm is the text of the confirmation dialog.
type CancelConfirm struct {
	Title       string // "Cancel MOVE job 3f6c2d1e?"
	Consequence string // "1,204 pending messages will not be moved to Deleted Items."
	Kept        string // "3,310 already moved stay moved. This cannot be resumed."
	AsOf        string // when the counts are an older answer: a sentence saying so
}

// Time is a timestamp ready for display: relative text with the exact UTC time
// on hover.
type Time struct {
	Relative string // "3 minutes ago"; "" when unset
	Exact    string // "2026-07-08 09:15:02 UTC"
	ISO      string // RFC 3339, for <time datetime>
}

// JobPageData is one job in full.
type JobPageData struct {
	Page
	Card         JobCard
	ShareURL     string  // absolute link to copy
	Fields       []Field // every other field the API returned, readable
	SearchParams []Field
	Messages     MessageList
	ConfirmOpen  bool   // render the cancel confirmation open in the page (no-JS path)
	ListURL      string // the account's job list, for the breadcrumb
}

// Field is one label/value row.
type Field struct {
	Label string
	Value string
	Note  string // e.g. "deprecated upstream"
}

// MessageList is the per-message results region (paged, filterable).
type MessageList struct {
	Rows      []MessageRow
	Status    string
	Statuses  []string
	PerPage   int
	Page      int
	PrevURL   string
	NextURL   string
	ActionURL string // the URL the filter form GETs (fragment for htmx, page without)
	Stale     *Stale // set when the rows are an older answer
	Error     string
	Empty     string
	Capped    string // a sentence when Cloudflare sent more rows than the page size (only a page is shown)
}

// MessageRow is one per-message result.
type MessageRow struct {
	ID             string
	Recipient      string
	PostfixID      string
	EmailMessageID string
	Status         string
	StatusClass    string
	Retries        string
	Reason         string
	Processed      Time
	RetryAfter     Time
}

// NoCredentialData asks the analyst to add a credential for an account they
// opened a link to.
type NoCredentialData struct {
	Page
	AccountID string
	AddURL    string
}

// ErrorData is a full error page.
type ErrorData struct {
	Page
	Status  int
	Heading string
	Message string
}

// AuditData is the audit page: every analyst's events for admins, the
// analyst's own history for everyone else.
type AuditData struct {
	Page
	Scope   string // "All analysts" or "Your own activity"
	Filters AuditFilters
	Rows    []AuditRow
	Page2   int    // the page number shown
	PrevURL string // "" on the first page
	NextURL string // "" when this was the last page
	CSVURL  string // the same filters as CSV
	Empty   string
}

// AuditFilters are the audit page's filter form values and choices.
type AuditFilters struct {
	Admin     bool // the email filter is offered to admins only
	Email     string
	Action    string
	AccountID string
	JobID     string
	Since     string // YYYY-MM-DD
	Until     string // YYYY-MM-DD, inclusive
	Actions   []string
	ActionURL string
}

// AuditRow is one audit event, display-ready.
type AuditRow struct {
	At         Time
	User       string
	Action     string
	AccountID  string
	JobID      string
	JobShort   string // first 8 characters of JobID
	JobURL     string // "" when the event names no job
	Reason     string
	Outcome    string
	Detail     string
	RemoteAddr string
}

// AccountData is the analyst's own account page (password change).
type AccountData struct {
	Page
	Email  string
	Role   string
	Errors map[string]string // field name → message; "form" for the whole form
}
