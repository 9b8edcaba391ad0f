package handlers

import (
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/views"
)

// Audit page sizes.
const (
	auditPerPage   = 100
	auditExportMax = 50_000
)

// auditActions are the actions offered in the filter.
var auditActions = []string{
	store.ActionJobCancel, store.ActionLogin, store.ActionLoginFailed, store.ActionLogout,
	store.ActionCredentialAdd, store.ActionCredentialTest, store.ActionCredentialDelete,
	store.ActionPasswordChange, store.ActionRoleChange, store.ActionUserAdd, store.ActionUserDisable,
	store.ActionUserEnable, store.ActionKeysRotate,
}

// auditQuery is the audit page's validated query.
type auditQuery struct {
	form   views.AuditFilters
	filter store.AuditFilter
	page   int
}

// parseAuditQuery validates the filters. Admins may see everyone's events and
// filter by email; everyone else sees only their own, whatever the query says.
func (h *Handler) parseAuditQuery(c echo.Context) (auditQuery, error) {
	u := userOf(c)
	q := auditQuery{page: 1, form: views.AuditFilters{
		Admin: u.CanAdmin(), Action: c.QueryParam("action"), AccountID: c.QueryParam("account_id"),
		JobID: c.QueryParam("job_id"), Since: c.QueryParam("since"), Until: c.QueryParam("until"),
		Actions: auditActions, ActionURL: "/audit",
	}}
	bad := func(msg string) (auditQuery, error) { return q, echo.NewHTTPError(http.StatusBadRequest, msg) }
	f := &q.filter
	if q.form.Action != "" {
		if !slices.Contains(auditActions, q.form.Action) {
			return bad("Unknown action filter.")
		}
		f.Action = q.form.Action
	}
	if q.form.AccountID != "" && !apiclient.ValidAccountID(q.form.AccountID) {
		return bad("The account ID filter must be 32 lowercase hexadecimal characters.")
	}
	if q.form.JobID != "" && !apiclient.ValidJobID(q.form.JobID) {
		return bad("The job ID filter must be a lowercase UUID.")
	}
	f.AccountID, f.JobID = q.form.AccountID, q.form.JobID
	for _, d := range []struct {
		v   string
		dst *time.Time
		add time.Duration
	}{{q.form.Since, &f.Since, 0}, {q.form.Until, &f.Until, 24 * time.Hour}} {
		if d.v == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", d.v)
		if err != nil {
			return bad("Dates must look like 2026-11-28.")
		}
		*d.dst = t.Add(d.add)
	}
	if v := c.QueryParam("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > auditExportMax/auditPerPage {
			return bad("Page must be a number from 1.")
		}
		q.page = n
	}
	switch {
	case !u.CanAdmin():
		f.UserID = u.ID
	case c.QueryParam("email") != "":
		q.form.Email = c.QueryParam("email")
		who, _, err := h.Store.UserByEmail(c.Request().Context(), q.form.Email)
		if errors.Is(err, store.ErrNotFound) {
			f.UserID = -1 // matches nothing
		} else if err != nil {
			return q, err
		} else {
			f.UserID = who.ID
		}
	}
	return q, nil
}

// url renders the audit URL for q at page, with suffix (".csv") on the path.
func (q auditQuery) url(suffix string, page int) string {
	v := url.Values{}
	for k, s := range map[string]string{"email": q.form.Email, "action": q.form.Action, "account_id": q.form.AccountID,
		"job_id": q.form.JobID, "since": q.form.Since, "until": q.form.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/audit" + suffix
	}
	return "/audit" + suffix + "?" + v.Encode()
}

// ShowAudit handles GET /audit.
func (h *Handler) ShowAudit(c echo.Context) error {
	q, err := h.parseAuditQuery(c)
	if err != nil {
		return err
	}
	f := q.filter
	f.Limit, f.Offset = auditPerPage+1, (q.page-1)*auditPerPage
	events, err := h.Store.ListAudit(c.Request().Context(), f)
	if err != nil {
		return err
	}
	data := views.AuditData{Page: h.page(c, "Audit log", "audit"), Scope: "Your own activity", Filters: q.form,
		Page2: q.page, CSVURL: q.url(".csv", 1), Empty: "No events match these filters."}
	if q.form.Admin {
		data.Scope = "All analysts"
	}
	if len(events) > auditPerPage {
		events = events[:auditPerPage]
		data.NextURL = q.url("", q.page+1)
	}
	if q.page > 1 {
		data.PrevURL = q.url("", q.page-1)
	}
	now := h.now()
	for _, e := range events {
		row := views.AuditRow{At: displayTime(&e.At, now), User: e.UserEmail, Action: e.Action, AccountID: e.AccountID,
			JobID: e.JobID, Reason: e.Reason, Outcome: h.auditOutcome(e), Detail: e.Detail, RemoteAddr: e.RemoteAddr}
		if apiclient.ValidAccountID(e.AccountID) && apiclient.ValidJobID(e.JobID) {
			row.JobURL, row.JobShort = jobURL(e.AccountID, e.JobID), e.JobID[:8]
		}
		data.Rows = append(data.Rows, row)
	}
	return render(c, http.StatusOK, views.AuditPage(data))
}

// ExportAudit handles GET /audit.csv: the filtered events as CSV, with cells
// neutralised against spreadsheet formula injection.
func (h *Handler) ExportAudit(c echo.Context) error {
	q, err := h.parseAuditQuery(c)
	if err != nil {
		return err
	}
	var events []store.AuditEvent
	for f := q.filter; len(events) < auditExportMax; f.Offset += store.MaxAuditLimit {
		f.Limit = min(store.MaxAuditLimit, auditExportMax-len(events))
		page, err := h.Store.ListAudit(c.Request().Context(), f)
		if err != nil {
			return err
		}
		events = append(events, page...)
		if len(page) < store.MaxAuditLimit {
			break
		}
	}
	h.Log.Info("audit export", "rows", len(events), "user_id", userOf(c).ID)
	resp := c.Response()
	resp.Header().Set("Content-Type", "text/csv; charset=utf-8")
	resp.Header().Set("Content-Disposition", `attachment; filename="audit-`+h.now().UTC().Format("20060102-150405")+`.csv"`)
	resp.WriteHeader(http.StatusOK)
	w := csv.NewWriter(resp)
	_ = w.Write([]string{"time_utc", "user_email", "action", "account_id", "job_id", "reason", "outcome", "detail", "remote_addr"})
	for _, e := range events {
		row := []string{e.At.UTC().Format(time.RFC3339), e.UserEmail, e.Action, e.AccountID, e.JobID, e.Reason, h.auditOutcome(e), e.Detail, e.RemoteAddr}
		for i := range row {
			row[i] = CSVSafe(row[i])
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// CSVSafe neutralises a cell that a spreadsheet would run as a formula: one
// that starts with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe.
func CSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
