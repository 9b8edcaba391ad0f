package apiclient

import "time"

// JobStatus is the state of a bulk action job, and of each message row within it.
// Unknown values from the API are kept as they are: a new upstream state must not
// break decoding.
type JobStatus string

// The seven documented job and message states (contract section 4).
const (
	StatusPending     JobStatus = "PENDING"
	StatusDiscovering JobStatus = "DISCOVERING"
	StatusProcessing  JobStatus = "PROCESSING"
	StatusCompleted   JobStatus = "COMPLETED"
	StatusFailed      JobStatus = "FAILED"
	StatusCancelled   JobStatus = "CANCELLED"
	StatusSkipped     JobStatus = "SKIPPED"
)

// JobStatuses lists the documented states in lifecycle order.
var JobStatuses = []JobStatus{
	StatusPending, StatusDiscovering, StatusProcessing,
	StatusCompleted, StatusFailed, StatusCancelled, StatusSkipped,
}

// Terminal reports whether s is a final state. The terminal set comes from the
// delete rule (contract section 5): only COMPLETED, CANCELLED, FAILED and SKIPPED
// jobs can be deleted. An unknown state is not terminal, so a dashboard keeps
// watching a job whose state it does not understand rather than freezing it.
func (s JobStatus) Terminal() bool {
	switch s {
	case StatusCompleted, StatusFailed, StatusCancelled, StatusSkipped:
		return true
	}
	return false
}

// Cancellable reports whether a cancel request makes sense for a job in state s.
func (s JobStatus) Cancellable() bool {
	switch s {
	case StatusPending, StatusDiscovering, StatusProcessing:
		return true
	}
	return false
}

// Known reports whether s is one of the seven documented states.
func (s JobStatus) Known() bool {
	for _, k := range JobStatuses {
		if s == k {
			return true
		}
	}
	return false
}

// ActionType is what a job does to each matching message.
type ActionType string

// The two documented action types.
const (
	ActionMove    ActionType = "MOVE"
	ActionRelease ActionType = "RELEASE"
)

// Known reports whether a is MOVE or RELEASE.
func (a ActionType) Known() bool { return a == ActionMove || a == ActionRelease }

// Destination is the mailbox folder a MOVE job moves messages to. The values are
// mixed case, exactly as the API spells them.
type Destination string

// The five documented destinations.
const (
	DestinationInbox                     Destination = "Inbox"
	DestinationJunkEmail                 Destination = "JunkEmail"
	DestinationDeletedItems              Destination = "DeletedItems"
	DestinationRecoverableItemsDeletions Destination = "RecoverableItemsDeletions"
	DestinationRecoverableItemsPurges    Destination = "RecoverableItemsPurges"
)

// Destinations lists the documented destinations.
var Destinations = []Destination{
	DestinationInbox, DestinationJunkEmail, DestinationDeletedItems,
	DestinationRecoverableItemsDeletions, DestinationRecoverableItemsPurges,
}

// Known reports whether d is a documented destination.
func (d Destination) Known() bool {
	for _, k := range Destinations {
		if d == k {
			return true
		}
	}
	return false
}

// Disposition is an Email Security verdict, used by expected_disposition and
// search_params.final_disposition.
type Disposition string

// The ten documented dispositions of the bulk family (contract section 4).
const (
	DispositionMalicious    Disposition = "MALICIOUS"
	DispositionMaliciousBEC Disposition = "MALICIOUS-BEC"
	DispositionSuspicious   Disposition = "SUSPICIOUS"
	DispositionSpoof        Disposition = "SPOOF"
	DispositionSpam         Disposition = "SPAM"
	DispositionBulk         Disposition = "BULK"
	DispositionEncrypted    Disposition = "ENCRYPTED"
	DispositionExternal     Disposition = "EXTERNAL"
	DispositionUnknown      Disposition = "UNKNOWN"
	DispositionNone         Disposition = "NONE"
)

// DeliveryStatus is a message's delivery status (lower case in the API).
type DeliveryStatus string

// The seven documented delivery states.
const (
	DeliveryDelivered   DeliveryStatus = "delivered"
	DeliveryMoved       DeliveryStatus = "moved"
	DeliveryQuarantined DeliveryStatus = "quarantined"
	DeliveryRejected    DeliveryStatus = "rejected"
	DeliveryDeferred    DeliveryStatus = "deferred"
	DeliveryBounced     DeliveryStatus = "bounced"
	DeliveryQueued      DeliveryStatus = "queued"
)

// MessageAction is the search filter on what already happened to a message.
type MessageAction string

// The three documented message actions.
const (
	MessageActionPreview            MessageAction = "PREVIEW"
	MessageActionQuarantineReleased MessageAction = "QUARANTINE_RELEASED"
	MessageActionMoved              MessageAction = "MOVED"
)

// Job is a bulk action job (BulkJobDetail, contract section 3). The same shape is
// returned by list, get, create and cancel.
//
// MessagesSkipped and MessagesCancelled exist only in the newer 16-field shape; in
// the older 14-field shape they are absent and stay nil, which means "not
// reported", not zero.
type Job struct {
	ID                      string       `json:"job_id"`
	ActionType              ActionType   `json:"action_type"`
	ActionParams            ActionParams `json:"action_params"`
	SearchParams            SearchParams `json:"search_params"`
	Status                  JobStatus    `json:"status"`
	TotalMessagesDiscovered int64        `json:"total_messages_discovered"`
	MessagesPending         int64        `json:"messages_pending"`
	MessagesSuccessful      int64        `json:"messages_successful"`
	MessagesFailed          int64        `json:"messages_failed"`
	MessagesSkipped         *int64       `json:"messages_skipped,omitempty"`
	MessagesCancelled       *int64       `json:"messages_cancelled,omitempty"`
	CreatedAt               time.Time    `json:"created_at"`
	StartedAt               *time.Time   `json:"started_at"`
	CompletedAt             *time.Time   `json:"completed_at"`
	// Comment and StatusMessage are nullable upstream; null and "" both mean none.
	Comment       string `json:"comment"`
	StatusMessage string `json:"status_message"`
}

// ActionParams is the tagged union on Type (contract 3.3): MOVE carries a
// Destination and an optional ExpectedDisposition, RELEASE carries nothing else.
// ExpectedDisposition is marked nonfunctional (end of life 2026-12-01) in the
// newest SDK, live in older ones: it is accepted and never required.
type ActionParams struct {
	Type                ActionType  `json:"type"`
	Destination         Destination `json:"destination,omitempty"`
	ExpectedDisposition Disposition `json:"expected_disposition,omitempty"`
}

// SearchParams are the criteria a job was created with (BulkSearchParams, 17
// optional fields, contract 3.2). The three booleans are pointers so that an
// absent value stays distinguishable from false: DetectionsOnly defaults to true
// upstream.
type SearchParams struct {
	// ActionLog is deprecated upstream (end of life 2026-11-01).
	ActionLog        *bool          `json:"action_log,omitempty"`
	AlertID          string         `json:"alert_id,omitempty"`
	DeliveryStatus   DeliveryStatus `json:"delivery_status,omitempty"`
	DetectionsOnly   *bool          `json:"detections_only,omitempty"`
	Domain           string         `json:"domain,omitempty"`
	Start            *time.Time     `json:"start,omitempty"`
	End              *time.Time     `json:"end,omitempty"`
	ExactSubject     string         `json:"exact_subject,omitempty"`
	Subject          string         `json:"subject,omitempty"`
	FinalDisposition Disposition    `json:"final_disposition,omitempty"`
	MessageAction    MessageAction  `json:"message_action,omitempty"`
	MessageID        string         `json:"message_id,omitempty"`
	Metric           string         `json:"metric,omitempty"`
	Query            string         `json:"query,omitempty"`
	Recipient        string         `json:"recipient,omitempty"`
	Sender           string         `json:"sender,omitempty"`
	Submissions      *bool          `json:"submissions,omitempty"`
}

// Message is one row of a job: one action on one message for one recipient
// (BulkActionMessageDetail, contract section 6).
type Message struct {
	ID             string              `json:"message_id"`
	PostfixID      string              `json:"postfix_id"`
	ActionType     ActionType          `json:"action_type"`
	ActionParams   MessageActionParams `json:"action_params"`
	Status         JobStatus           `json:"status"`
	RetryCount     int64               `json:"retry_count"`
	CreatedAt      time.Time           `json:"created_at"`
	AlertID        string              `json:"alert_id"`
	EmailMessageID string              `json:"email_message_id"`
	ProcessedAt    *time.Time          `json:"processed_at"`
	RetryAfter     *time.Time          `json:"retry_after"`
	StatusMessage  string              `json:"status_message"`
}

// MessageActionParams is ActionParams plus the mailbox the action applies to.
type MessageActionParams struct {
	Type                ActionType  `json:"type"`
	ClientRecipient     string      `json:"client_recipient"`
	Destination         Destination `json:"destination,omitempty"`
	ExpectedDisposition Disposition `json:"expected_disposition,omitempty"`
}

// ResultInfo is the paging block of list responses (CursorResultInfo, contract
// 7.2). TotalCount and Page are deprecated and always 0; Next and Previous are
// cursors that these endpoints cannot take back. No total is available.
type ResultInfo struct {
	Count      int     `json:"count"`
	PerPage    int     `json:"per_page"`
	TotalCount int     `json:"total_count"`
	Page       int     `json:"page"`
	Next       *string `json:"next"`
	Previous   *string `json:"previous"`

	// Returned is how many rows the answer held. The list methods hand back
	// at most the per_page asked for, so Returned above that means Cloudflare
	// ignored per_page and the rest were dropped. Not part of the API.
	Returned int `json:"-"`
}

// MayHaveMore reports whether a further page may exist. The API gives no total,
// so a full page is the only hint; the page after it may turn out empty.
func (ri ResultInfo) MayHaveMore() bool { return ri.PerPage > 0 && ri.Count >= ri.PerPage }

// ResponseInfo is one entry of an envelope's errors or messages.
type ResponseInfo struct {
	Code             int            `json:"code"`
	Message          string         `json:"message"`
	DocumentationURL string         `json:"documentation_url,omitempty"`
	Source           *ErrorSource   `json:"source,omitempty"`
	ErrorChain       []ResponseInfo `json:"error_chain,omitempty"`
}

// ErrorSource points at the offending input.
type ErrorSource struct {
	Pointer string `json:"pointer"`
}
