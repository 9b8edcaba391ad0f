package cfsim

import "time"

// Shape selects which job object the simulator emits (contract 3.1).
type Shape int

const (
	// ShapeNew is the newer 16-field job, with messages_cancelled and
	// messages_skipped. It is the default.
	ShapeNew Shape = iota
	// ShapeOld is the older 14-field job: the two newer counters are absent
	// (not zero). The engine still tracks them, so the invariant holds.
	ShapeOld
)

// String returns "new" or "old".
func (s Shape) String() string {
	if s == ShapeOld {
		return "old"
	}
	return "new"
}

// JobState is a snapshot of one job for tests: status, the six counters and
// the timestamps, whatever the configured Shape.
type JobState struct {
	ID                  string
	Account             string
	Action              string
	Status              string
	TotalDiscovered     int
	Pending             int
	Successful          int
	Failed              int
	Skipped             int
	Cancelled           int
	CreatedAt           time.Time
	StartedAt           *time.Time
	CompletedAt         *time.Time
	StatusMessage       *string
	Comment             *string
	Destination         string
	ExpectedDisposition string
}

// Invariant reports whether TotalDiscovered equals the sum of the other five
// counters (Q8).
func (s JobState) Invariant() bool {
	return s.TotalDiscovered == s.Pending+s.Successful+s.Failed+s.Skipped+s.Cancelled
}

// snapshot copies j into a JobState.
func (j *job) snapshot() JobState {
	return JobState{
		ID:                  j.id,
		Account:             j.account,
		Action:              j.action,
		Status:              j.status,
		TotalDiscovered:     j.total,
		Pending:             j.pending,
		Successful:          j.successful,
		Failed:              j.failed,
		Skipped:             j.skipped,
		Cancelled:           j.cancelled,
		CreatedAt:           j.createdAt,
		StartedAt:           copyTime(j.startedAt),
		CompletedAt:         copyTime(j.completedAt),
		StatusMessage:       copyString(j.statusMessage),
		Comment:             copyString(j.comment),
		Destination:         j.destination,
		ExpectedDisposition: j.expectedDisposition,
	}
}

// toJSON renders j as a BulkJobDetail in the given shape.
func (j *job) toJSON(shape Shape) jobJSON {
	out := jobJSON{
		JobID:                   j.id,
		ActionType:              j.action,
		ActionParams:            jobActionJSON{Type: j.action},
		SearchParams:            j.search.toJSON(),
		Status:                  j.status,
		TotalMessagesDiscovered: j.total,
		MessagesPending:         j.pending,
		MessagesSuccessful:      j.successful,
		MessagesFailed:          j.failed,
		CreatedAt:               wireTime(j.createdAt),
		StartedAt:               wireTimePtr(j.startedAt),
		CompletedAt:             wireTimePtr(j.completedAt),
		Comment:                 copyString(j.comment),
		StatusMessage:           copyString(j.statusMessage),
	}
	if j.action == ActionMove {
		out.ActionParams.Destination = j.destination
		out.ActionParams.ExpectedDisposition = j.expectedDisposition
	}
	if shape == ShapeNew {
		skipped, cancelled := j.skipped, j.cancelled
		out.MessagesSkipped, out.MessagesCancelled = &skipped, &cancelled
	}
	return out
}

// toJSON renders search parameters in the contract 12.1 "job B" form.
func (p SearchParams) toJSON() searchParamsJSON {
	out := searchParamsJSON{
		ActionLog:        p.ActionLog,
		DetectionsOnly:   p.DetectionsOnly,
		Submissions:      p.Submissions,
		AlertID:          optString(p.AlertID),
		DeliveryStatus:   optString(p.DeliveryStatus),
		Domain:           optString(p.Domain),
		ExactSubject:     optString(p.ExactSubject),
		FinalDisposition: optString(p.FinalDisposition),
		MessageAction:    optString(p.MessageAction),
		MessageID:        optString(p.MessageID),
		Metric:           optString(p.Metric),
		Query:            optString(p.Query),
		Recipient:        optString(p.Recipient),
		Sender:           optString(p.Sender),
		Subject:          optString(p.Subject),
	}
	if !p.Start.IsZero() {
		s := p.Start.UTC().Format(time.RFC3339Nano)
		out.Start = &s
	}
	if !p.End.IsZero() {
		s := p.End.UTC().Format(time.RFC3339Nano)
		out.End = &s
	}
	return out
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

func copyString(s *string) *string {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}
