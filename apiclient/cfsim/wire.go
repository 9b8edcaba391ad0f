package cfsim

import "time"

// This file holds the simulator's own wire types, written from the contract
// (api/bulk-jobs.md sections 3, 6, 7 and 12) rather than shared with the
// client, so that a wrong struct tag on either side shows up in tests.

// envelope is the Cloudflare v4 response envelope (contract 7.1). Errors and
// Messages are always non-nil so that they encode as [] and never as null.
type envelope struct {
	Success    bool        `json:"success"`
	Errors     []apiError  `json:"errors"`
	Messages   []apiError  `json:"messages"`
	Result     any         `json:"result"`
	ResultInfo *resultInfo `json:"result_info,omitempty"`
}

// apiError is one entry of errors or messages (contract 7.1), plus the
// error_chain seen on header-format errors (contract 7.4).
type apiError struct {
	Code       int          `json:"code"`
	Message    string       `json:"message"`
	Source     *errorSource `json:"source,omitempty"`
	ErrorChain []apiError   `json:"error_chain,omitempty"`
}

// errorSource locates the offending input with a JSON-pointer-like string.
type errorSource struct {
	Pointer string `json:"pointer"`
}

// resultInfo is CursorResultInfo (contract 7.2). Q7: page and total_count are
// always 0 and next/previous always null.
type resultInfo struct {
	Count      int     `json:"count"`
	PerPage    int     `json:"per_page"`
	TotalCount int     `json:"total_count"`
	Page       int     `json:"page"`
	Next       *string `json:"next"`
	Previous   *string `json:"previous"`
}

// jobJSON is BulkJobDetail (contract 3.1). MessagesSkipped and
// MessagesCancelled are nil in the older 14-field shape, which omits the keys.
type jobJSON struct {
	JobID                   string           `json:"job_id"`
	ActionType              string           `json:"action_type"`
	ActionParams            jobActionJSON    `json:"action_params"`
	SearchParams            searchParamsJSON `json:"search_params"`
	Status                  string           `json:"status"`
	TotalMessagesDiscovered int              `json:"total_messages_discovered"`
	MessagesPending         int              `json:"messages_pending"`
	MessagesSuccessful      int              `json:"messages_successful"`
	MessagesFailed          int              `json:"messages_failed"`
	MessagesSkipped         *int             `json:"messages_skipped,omitempty"`
	MessagesCancelled       *int             `json:"messages_cancelled,omitempty"`
	CreatedAt               string           `json:"created_at"`
	StartedAt               *string          `json:"started_at"`
	CompletedAt             *string          `json:"completed_at"`
	Comment                 *string          `json:"comment"`
	StatusMessage           *string          `json:"status_message"`
}

// jobActionJSON is BulkJobActionParams (contract 3.3): MOVE carries a
// destination and optionally expected_disposition, RELEASE only its type.
type jobActionJSON struct {
	Type                string `json:"type"`
	Destination         string `json:"destination,omitempty"`
	ExpectedDisposition string `json:"expected_disposition,omitempty"`
}

// searchParamsJSON is BulkSearchParams (contract 3.2) in the 12.1 "job B"
// form: the three booleans always, every other field only when set.
type searchParamsJSON struct {
	ActionLog        bool    `json:"action_log"`
	DetectionsOnly   bool    `json:"detections_only"`
	Submissions      bool    `json:"submissions"`
	Start            *string `json:"start,omitempty"`
	End              *string `json:"end,omitempty"`
	AlertID          *string `json:"alert_id,omitempty"`
	DeliveryStatus   *string `json:"delivery_status,omitempty"`
	Domain           *string `json:"domain,omitempty"`
	ExactSubject     *string `json:"exact_subject,omitempty"`
	FinalDisposition *string `json:"final_disposition,omitempty"`
	MessageAction    *string `json:"message_action,omitempty"`
	MessageID        *string `json:"message_id,omitempty"`
	Metric           *string `json:"metric,omitempty"`
	Query            *string `json:"query,omitempty"`
	Recipient        *string `json:"recipient,omitempty"`
	Sender           *string `json:"sender,omitempty"`
	Subject          *string `json:"subject,omitempty"`
}

// messageJSON is BulkActionMessageDetail (contract section 6): twelve keys,
// the nullable ones always present.
type messageJSON struct {
	MessageID      string            `json:"message_id"`
	PostfixID      string            `json:"postfix_id"`
	ActionType     string            `json:"action_type"`
	ActionParams   messageActionJSON `json:"action_params"`
	Status         string            `json:"status"`
	RetryCount     int               `json:"retry_count"`
	CreatedAt      string            `json:"created_at"`
	ProcessedAt    *string           `json:"processed_at"`
	AlertID        *string           `json:"alert_id"`
	EmailMessageID *string           `json:"email_message_id"`
	RetryAfter     *string           `json:"retry_after"`
	StatusMessage  *string           `json:"status_message"`
}

// messageActionJSON is BulkMessageActionParams (contract section 6).
type messageActionJSON struct {
	Type                string `json:"type"`
	ClientRecipient     string `json:"client_recipient"`
	Destination         string `json:"destination,omitempty"`
	ExpectedDisposition string `json:"expected_disposition,omitempty"`
}

// deleteResultJSON is the E4 result (contract 12.5).
type deleteResultJSON struct {
	ID string `json:"id"`
}

// timeLayout renders job and message timestamps: RFC 3339, UTC, always with
// milliseconds, like "2026-07-08T09:15:02.481Z" (contract 12.1).
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// wireTime formats t in timeLayout.
func wireTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// wireTimePtr formats t, or returns nil (JSON null) when t is nil.
func wireTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := wireTime(*t)
	return &s
}

// optString returns nil for "" so that an unset field encodes as null or is
// omitted.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// msTime truncates t to the millisecond in UTC, the precision of the wire.
func msTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
