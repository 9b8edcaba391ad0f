package apiclient

import (
	"context"
	"net/http"
)

// ListJobMessagesOptions are the query knobs of ListJobMessages.
type ListJobMessagesOptions struct {
	Page    int       // 1-based
	PerPage int       // 1..1000
	Status  JobStatus // one status only
}

// ListJobMessages returns one page of a job's per-message rows and the page's
// result_info: one row per message and recipient, with its own status.
//
// Cloudflare API docs: https://developers.cloudflare.com/api/resources/email_security/subresources/investigate/subresources/bulk/subresources/messages/methods/list/
func (c *Client) ListJobMessages(ctx context.Context, cred Credential, accountID, jobID string, opts ListJobMessagesOptions) ([]Message, ResultInfo, error) {
	path, err := jobPath(accountID, jobID, "messages")
	if err != nil {
		return nil, ResultInfo{}, err
	}
	q, err := pageQuery(opts.Page, opts.PerPage, opts.Status)
	if err != nil {
		return nil, ResultInfo{}, err
	}
	var msgs []Message
	ri, err := c.call(ctx, http.MethodGet, path, q, nil, cred, &msgs)
	if err != nil {
		return nil, ResultInfo{}, err
	}
	info := derefInfo(ri, len(msgs))
	return capPage(msgs, opts.PerPage), info, nil
}
