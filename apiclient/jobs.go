package apiclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// MaxPerPage is the largest page the list endpoints accept.
const MaxPerPage = 1000

// ListJobsOptions are the query knobs of ListJobs. Zero values are left out and
// the API's defaults apply (per_page 20 in practice; not documented).
type ListJobsOptions struct {
	Page       int        // 1-based
	PerPage    int        // 1..1000
	Status     JobStatus  // one status only (contract Q17)
	ActionType ActionType // MOVE or RELEASE
}

// CreateJobRequest is the body of CreateJob (BulkActionRequest). The request is
// flat; the job nests Destination and ExpectedDisposition under action_params.
type CreateJobRequest struct {
	Action       ActionType   `json:"action"`
	SearchParams SearchParams `json:"search_params"`
	Comment      *string      `json:"comment,omitempty"`
	// Destination is required for MOVE: the API's behaviour without it is not
	// documented (contract Q11), so the client refuses to send such a request.
	Destination Destination `json:"destination,omitempty"`
	// ExpectedDisposition is deprecated upstream (nonfunctional, end of life
	// 2026-12-01 in the newest SDK); accepted, never required.
	ExpectedDisposition Disposition `json:"expected_disposition,omitempty"`
}

// jobsPath returns the collection path of an account's bulk jobs. It and
// jobPath are the only places request paths are built, and they validate every
// segment first.
func jobsPath(accountID string) (string, error) {
	if !ValidAccountID(accountID) {
		return "", fmt.Errorf("%w: account id must be 32 lowercase hex characters", ErrInvalidID)
	}
	return "/accounts/" + accountID + "/email-security/investigate/bulk", nil
}

// jobPath returns the path of one job, plus a sub-resource when sub is set. An
// empty job ID is invalid: it must never turn a call on one job into a call on
// the whole collection.
func jobPath(accountID, jobID, sub string) (string, error) {
	p, err := jobsPath(accountID)
	if err != nil {
		return "", err
	}
	if !ValidJobID(jobID) {
		return "", fmt.Errorf("%w: job id must be a lowercase uuid", ErrInvalidID)
	}
	p += "/" + jobID
	if sub != "" {
		p += "/" + sub
	}
	return p, nil
}

// ListJobs returns one page of the account's bulk jobs and the page's
// result_info. There is no total: use ResultInfo.MayHaveMore.
//
// Cloudflare API docs: https://developers.cloudflare.com/api/resources/email_security/subresources/investigate/subresources/bulk/methods/list/
func (c *Client) ListJobs(ctx context.Context, cred Credential, accountID string, opts ListJobsOptions) ([]Job, ResultInfo, error) {
	path, err := jobsPath(accountID)
	if err != nil {
		return nil, ResultInfo{}, err
	}
	q, err := pageQuery(opts.Page, opts.PerPage, opts.Status)
	if err != nil {
		return nil, ResultInfo{}, err
	}
	if opts.ActionType != "" {
		if !opts.ActionType.Known() {
			return nil, ResultInfo{}, fmt.Errorf("apiclient: list jobs: unknown action type %q", opts.ActionType)
		}
		q.Set("action_type", string(opts.ActionType))
	}
	var jobs []Job
	ri, err := c.call(ctx, http.MethodGet, path, q, nil, cred, &jobs)
	if err != nil {
		return nil, ResultInfo{}, err
	}
	info := derefInfo(ri, len(jobs))
	jobs = capPage(jobs, opts.PerPage)
	for i := range jobs {
		if err := checkJob(http.MethodGet, path, &jobs[i]); err != nil {
			return nil, ResultInfo{}, err
		}
	}
	return jobs, info, nil
}

// GetJob returns one job.
//
// Cloudflare API docs: https://developers.cloudflare.com/api/resources/email_security/subresources/investigate/subresources/bulk/methods/get/
func (c *Client) GetJob(ctx context.Context, cred Credential, accountID, jobID string) (*Job, error) {
	return c.jobCall(ctx, http.MethodGet, cred, accountID, jobID, "")
}

// CancelJob asks Cloudflare to stop a job and returns the job as it is after
// cancellation: status CANCELLED, pending messages moved to cancelled. Messages
// already acted on stay acted on. It is sent exactly once, never retried.
//
// Cloudflare API docs: https://developers.cloudflare.com/api/resources/email_security/subresources/investigate/subresources/bulk/subresources/cancel/methods/create/
func (c *Client) CancelJob(ctx context.Context, cred Credential, accountID, jobID string) (*Job, error) {
	return c.jobCall(ctx, http.MethodPost, cred, accountID, jobID, "cancel")
}

// DeleteJob removes a terminal job; it then disappears from list and get. It
// returns the deleted job's ID.
//
// Cloudflare API docs: https://developers.cloudflare.com/api/resources/email_security/subresources/investigate/subresources/bulk/methods/delete/
func (c *Client) DeleteJob(ctx context.Context, cred Credential, accountID, jobID string) (string, error) {
	path, err := jobPath(accountID, jobID, "")
	if err != nil {
		return "", err
	}
	var res struct {
		ID string `json:"id"`
	}
	if _, err := c.call(ctx, http.MethodDelete, path, nil, nil, cred, &res); err != nil {
		return "", err
	}
	if res.ID != jobID {
		return "", invalid(http.MethodDelete, path, "deleted id does not match the request")
	}
	return res.ID, nil
}

// CreateJob starts a job that will MOVE or RELEASE every message matching
// req.SearchParams. Cloudflare answers 201 with the new job. It is sent exactly
// once: the API has no idempotency key, so a retry could start a second job.
//
// Cloudflare API docs: https://developers.cloudflare.com/api/resources/email_security/subresources/investigate/subresources/bulk/methods/create/
func (c *Client) CreateJob(ctx context.Context, cred Credential, accountID string, req CreateJobRequest) (*Job, error) {
	path, err := jobsPath(accountID)
	if err != nil {
		return nil, err
	}
	switch {
	case !req.Action.Known():
		return nil, fmt.Errorf("apiclient: create job: action must be MOVE or RELEASE, got %q", req.Action)
	case req.Action == ActionMove && !req.Destination.Known():
		return nil, fmt.Errorf("apiclient: create job: a MOVE needs a known destination, got %q", req.Destination)
	case req.Action == ActionRelease && req.Destination != "":
		return nil, fmt.Errorf("apiclient: create job: a RELEASE takes no destination")
	}
	var job Job
	if _, err := c.call(ctx, http.MethodPost, path, nil, req, cred, &job); err != nil {
		return nil, err
	}
	if err := checkJob(http.MethodPost, path, &job); err != nil {
		return nil, err
	}
	return &job, nil
}

// jobCall is GetJob and CancelJob: one job in, one job out.
func (c *Client) jobCall(ctx context.Context, method string, cred Credential, accountID, jobID, sub string) (*Job, error) {
	path, err := jobPath(accountID, jobID, sub)
	if err != nil {
		return nil, err
	}
	var job Job
	if _, err := c.call(ctx, method, path, nil, nil, cred, &job); err != nil {
		return nil, err
	}
	if err := checkJob(method, path, &job); err != nil {
		return nil, err
	}
	if job.ID != jobID {
		return nil, invalid(method, path, "job id in the answer does not match the request")
	}
	return &job, nil
}

// call prepares and sends one request.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body any, cred Credential, out any) (*ResultInfo, error) {
	r, err := c.newRequest(method, path, q, body, cred)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, r, out)
}

// checkJob refuses a job whose ID is not canonical: the dashboard builds links
// and further API paths from it.
func checkJob(method, path string, j *Job) error {
	if !ValidJobID(j.ID) {
		return invalid(method, path, "job without a valid job_id")
	}
	return nil
}

// invalid is an ErrInvalidResponse for an answer that decoded but cannot be used.
func invalid(method, path, reason string) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: 0, Reason: reason}
	e.classify()
	return e
}

// pageQuery validates and encodes page, per_page and status.
func pageQuery(page, perPage int, status JobStatus) (url.Values, error) {
	q := url.Values{}
	switch {
	case page < 0:
		return nil, fmt.Errorf("apiclient: page must be 1 or more, got %d", page)
	case perPage < 0 || perPage > MaxPerPage:
		return nil, fmt.Errorf("apiclient: per_page must be 1 to %d, got %d", MaxPerPage, perPage)
	case status != "" && !status.Known():
		return nil, fmt.Errorf("apiclient: unknown status %q", status)
	}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if perPage > 0 {
		q.Set("per_page", strconv.Itoa(perPage))
	}
	if status != "" {
		q.Set("status", string(status))
	}
	return q, nil
}

// derefInfo returns the result_info, or one built from the page when the API
// left it out (S4 says it is required; a missing one must not crash paging),
// with Returned set to the n rows the answer held.
func derefInfo(ri *ResultInfo, n int) ResultInfo {
	info := ResultInfo{Count: n}
	if ri != nil {
		info = *ri
	}
	info.Returned = n
	return info
}

// capPage keeps at most perPage rows (all when perPage is 0, the API's
// default). An upstream that ignores per_page (12,000 rows for a page of 50
// have been seen) must not make every page and poll as large. The kept rows
// are copied, so the large answer is not held on to (the guard caches pages).
func capPage[T any](rows []T, perPage int) []T {
	if perPage > 0 && len(rows) > perPage {
		return append([]T(nil), rows[:perPage]...)
	}
	return rows
}
