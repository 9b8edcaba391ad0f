package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/views"
)

// Page sizes offered on the job list.
var pageSizes = []int{20, 50, 100}

// listQuery is the job list's validated query.
type listQuery struct {
	status  apiclient.JobStatus
	action  apiclient.ActionType
	perPage int
	page    int
}

// parseListQuery validates the list's filters; a bad value is a 400 with a
// sentence, never a silently different view of the jobs.
func parseListQuery(c echo.Context) (listQuery, error) {
	q := listQuery{
		status:  apiclient.JobStatus(c.QueryParam("status")),
		action:  apiclient.ActionType(c.QueryParam("action_type")),
		perPage: 20,
		page:    1,
	}
	if q.status != "" && !q.status.Known() {
		return q, echo.NewHTTPError(http.StatusBadRequest, "Unknown status filter. Choose one of the listed statuses.")
	}
	if q.action != "" && !q.action.Known() {
		return q, echo.NewHTTPError(http.StatusBadRequest, "Unknown action filter. Choose MOVE or RELEASE.")
	}
	if v := c.QueryParam("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !slices.Contains(pageSizes, n) {
			return q, echo.NewHTTPError(http.StatusBadRequest, "Page size must be 20, 50 or 100.")
		}
		q.perPage = n
	}
	if v := c.QueryParam("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return q, echo.NewHTTPError(http.StatusBadRequest, "Page must be a number from 1.")
		}
		q.page = n
	}
	return q, nil
}

// url renders the list URL for q at page.
func (q listQuery) url(accountID string, page int) string {
	v := url.Values{}
	if q.status != "" {
		v.Set("status", string(q.status))
	}
	if q.action != "" {
		v.Set("action_type", string(q.action))
	}
	if q.perPage != 20 {
		v.Set("per_page", strconv.Itoa(q.perPage))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return jobsURL(accountID)
	}
	return jobsURL(accountID) + "?" + v.Encode()
}

// ListJobs handles GET /accounts/:account_id/jobs. htmx requests (filters,
// paging, a poll that found the page's jobs changed) get the list region
// alone; the list's poller (v=… in the query, see pollJobList) gets what
// changed.
func (h *Handler) ListJobs(c echo.Context) error {
	accountID, err := validAccount(c)
	if err != nil {
		return err
	}
	q, err := parseListQuery(c)
	if err != nil {
		return err
	}
	var p listPoll
	if isFragment(c) {
		if p, err = parseListPoll(c); err != nil {
			return err
		}
	}
	cred, err := h.credentialFor(c, accountID)
	if errors.Is(err, errNoCredential) {
		return nil
	} else if err != nil {
		return err
	}
	switch {
	case p.set:
		return h.pollJobList(c, cred, accountID, q, p)
	case isFragment(c) && c.Request().Header.Get(HXTrigger) == listPollerID:
		// The poller of a list that could not be read: the whole region.
		return h.relist(c, cred, accountID, q)
	}
	status, list := h.jobList(c, cred, accountID, q)
	if isPoll(c) && list.Error != "" {
		// A failed refresh keeps the list on screen, still polling, and says
		// why in the flash region.
		return echo.NewHTTPError(status, list.Error)
	}
	if isFragment(c) {
		return render(c, status, views.JobListRegion(list))
	}
	statuses := make([]string, len(apiclient.JobStatuses))
	for i, s := range apiclient.JobStatuses {
		statuses[i] = string(s)
	}
	data := views.JobsData{
		Page:      h.page(c, "Bulk jobs · "+accountID, "jobs"),
		AccountID: accountID,
		Filters: views.JobFilters{
			Status: string(q.status), ActionType: string(q.action), PerPage: q.perPage,
			Statuses: statuses, Actions: []string{"MOVE", "RELEASE"}, PageSizes: pageSizes,
			ActionURL: jobsURL(accountID),
		},
		List: list,
	}
	return render(c, status, views.JobsPage(data))
}
