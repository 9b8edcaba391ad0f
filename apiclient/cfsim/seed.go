package cfsim

import (
	"errors"
	"fmt"
	"time"
)

// maxRowsPerJob caps the rows a seeded or created job may hold, so that a
// typo in a config file cannot exhaust memory. The contract sets no limit
// (Q18); this cap is a simulator choice.
const maxRowsPerJob = 200_000

// SearchParams are a job's search criteria (contract 3.2, 17 fields). Empty
// strings and zero times mean "not set" and are omitted from the JSON; the
// three booleans are always emitted. The contract defaults are
// DetectionsOnly=true, ActionLog=false, Submissions=false; E2 fills them in,
// but a Go SeedJob takes the values as written.
type SearchParams struct {
	ActionLog        bool
	DetectionsOnly   bool
	Submissions      bool
	Start            time.Time
	End              time.Time
	AlertID          string
	DeliveryStatus   string
	Domain           string
	ExactSubject     string
	FinalDisposition string
	MessageAction    string
	MessageID        string
	Metric           string
	Query            string
	Recipient        string
	Sender           string
	Subject          string
}

// SeedJob is a job placed in the simulator with a fixed ID and state, from
// Config.Jobs or AddJob. The counters must satisfy the invariant (Q8) and fit
// the status; the simulator generates message rows that agree with them.
//
// Timestamps default to the clock's time at seeding: CreatedAt to now,
// StartedAt to CreatedAt when the job has left PENDING, CompletedAt to now
// for a terminal job. A non-terminal job continues with Plan, or when Plan is
// nil with a default plan: 200 more rows for PENDING and DISCOVERING jobs,
// none for PROCESSING ones, 50 rows per step, 1% failures, 2% retries.
type SeedJob struct {
	ID                  string
	Account             string
	Action              string
	Destination         string
	ExpectedDisposition string
	Comment             *string
	SearchParams        SearchParams
	Status              string
	TotalDiscovered     int
	Pending             int
	Successful          int
	Failed              int
	Skipped             int
	Cancelled           int
	CreatedAt           *time.Time
	StartedAt           *time.Time
	CompletedAt         *time.Time
	StatusMessage       *string
	Plan                *Plan
}

// validate checks the search parameters' enums and range.
func (p SearchParams) validate() (pointer string, err error) {
	checks := []struct {
		ptr, v  string
		allowed []string
	}{
		{"/search_params/delivery_status", p.DeliveryStatus, deliveryStatuses},
		{"/search_params/final_disposition", p.FinalDisposition, dispositions},
		{"/search_params/message_action", p.MessageAction, messageActions},
	}
	for _, c := range checks {
		if c.v != "" && !oneOf(c.v, c.allowed) {
			return c.ptr, fmt.Errorf("must be one of %s", enumList(c.allowed))
		}
	}
	if !p.Start.IsZero() && !p.End.IsZero() && p.End.Before(p.Start) {
		return "/search_params/end", errors.New("must not be before start")
	}
	return "", nil
}

// validate checks a seed job; the error names the job.
func (s SeedJob) validate() error {
	if err := s.check(); err != nil {
		return fmt.Errorf("seed job %q: %w", s.ID, err)
	}
	return nil
}

func (s SeedJob) check() error {
	if !validJobID(s.ID) {
		return errors.New("id must be a canonical lowercase uuid")
	}
	if !validAccountID(s.Account) {
		return errors.New("account must be 1 to 32 characters without '/'")
	}
	if err := checkAction(s.Action, s.Destination, s.ExpectedDisposition); err != nil {
		return err
	}
	if _, err := s.SearchParams.validate(); err != nil {
		return fmt.Errorf("search params: %w", err)
	}
	if !oneOf(s.Status, Statuses) {
		return fmt.Errorf("status must be one of %s", enumList(Statuses))
	}
	if err := s.checkCounters(); err != nil {
		return err
	}
	if err := s.checkTimes(); err != nil {
		return err
	}
	if s.Plan != nil {
		return s.Plan.validate(s.TotalDiscovered)
	}
	return nil
}

func checkAction(action, dest, disp string) error {
	switch action {
	case ActionMove:
		if !oneOf(dest, destinations) {
			return fmt.Errorf("a MOVE job needs a destination, one of %s", enumList(destinations))
		}
	case ActionRelease:
		if dest != "" {
			return errors.New("destination applies to MOVE jobs only")
		}
	default:
		return fmt.Errorf("action must be one of %s", enumList(actions))
	}
	if disp != "" && !oneOf(disp, dispositions) {
		return fmt.Errorf("expected disposition must be one of %s", enumList(dispositions))
	}
	return nil
}

// checkCounters enforces the invariant and the counters each status allows
// under the engine's sequential lifecycle.
func (s SeedJob) checkCounters() error {
	for _, c := range []int{s.TotalDiscovered, s.Pending, s.Successful, s.Failed, s.Skipped, s.Cancelled} {
		if c < 0 {
			return errors.New("counters must not be negative")
		}
	}
	if s.TotalDiscovered > maxRowsPerJob {
		return fmt.Errorf("total messages discovered must be at most %d", maxRowsPerJob)
	}
	if s.TotalDiscovered != s.Pending+s.Successful+s.Failed+s.Skipped+s.Cancelled {
		return errors.New("total messages discovered must equal pending+successful+failed+skipped+cancelled")
	}
	switch {
	case s.Status == StatusPending && s.TotalDiscovered != 0:
		return errors.New("a PENDING job has discovered nothing yet")
	case s.Status == StatusDiscovering && s.Successful+s.Failed+s.Cancelled != 0:
		return errors.New("a DISCOVERING job has processed nothing yet")
	case s.Status == StatusProcessing && s.Cancelled != 0:
		return errors.New("a PROCESSING job has no cancelled rows")
	case isTerminal(s.Status) && s.Pending != 0:
		return errors.New("a terminal job has no pending rows")
	case s.Status == StatusSkipped && s.TotalDiscovered != s.Skipped:
		return errors.New("a SKIPPED job has only skipped rows")
	case s.Status == StatusCompleted && s.Cancelled != 0:
		return errors.New("a COMPLETED job has no cancelled rows")
	}
	return nil
}

func (s SeedJob) checkTimes() error {
	if s.Status == StatusPending && s.StartedAt != nil {
		return errors.New("a PENDING job has no started_at")
	}
	if !isTerminal(s.Status) && s.CompletedAt != nil {
		return errors.New("only a terminal job has completed_at")
	}
	if s.CreatedAt != nil && s.StartedAt != nil && s.StartedAt.Before(*s.CreatedAt) {
		return errors.New("started_at must not be before created_at")
	}
	if s.StartedAt != nil && s.CompletedAt != nil && s.CompletedAt.Before(*s.StartedAt) {
		return errors.New("completed_at must not be before started_at")
	}
	return nil
}

// validate checks a plan against the rows a job already has.
func (p Plan) validate(discovered int) error {
	switch {
	case p.Total < discovered:
		return errors.New("plan total must not be below the rows already discovered")
	case p.Total > maxRowsPerJob:
		return fmt.Errorf("plan total must be at most %d", maxRowsPerJob)
	case p.PendingSteps < 0 || p.DiscoverPerStep < 0 || p.ProcessPerStep < 0 || p.FailAfter < 0:
		return errors.New("plan step counts must not be negative")
	case !rate(p.FailureRate) || !rate(p.RetryRate) || !rate(p.SkipRate) || p.FailureRate+p.RetryRate > 1:
		return errors.New("plan rates must be in [0,1] and failure+retry at most 1")
	case p.Outcome != "" && p.Outcome != StatusCompleted && p.Outcome != StatusFailed:
		return errors.New("plan outcome must be COMPLETED or FAILED")
	}
	return nil
}

func rate(f float64) bool { return f >= 0 && f <= 1 }

// withDefaults fills a plan's zero fields.
func (p Plan) withDefaults() Plan {
	if p.DiscoverPerStep == 0 {
		p.DiscoverPerStep = 100
	}
	if p.ProcessPerStep == 0 {
		p.ProcessPerStep = 50
	}
	if p.Outcome == "" {
		p.Outcome = StatusCompleted
	}
	return p
}

// defaultSeedPlan is the plan of a non-terminal seed job without one.
func defaultSeedPlan(s SeedJob) Plan {
	p := Plan{Total: s.TotalDiscovered, FailureRate: 0.01, RetryRate: 0.02}
	if s.Status == StatusPending || s.Status == StatusDiscovering {
		p.Total += 200
	}
	return p
}
