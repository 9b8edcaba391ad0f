package cfsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// fileConfig is the JSON config file read by LoadConfig. Unknown keys are
// rejected everywhere. testdata/example-config.json is a full example:
//
//	{
//	  "notes": ["free text, ignored"],
//	  "shape": "new",                 // "new" (16-field jobs, default) or "old" (14)
//	  "seed": 42,                     // seeds every random choice
//	  "step": "1s",                   // engine step: smaller is faster
//	  "admin": false,                 // serve /__admin/
//	  "rate_limit": {"requests": 1200, "window": "5m", "block": "5m"},
//	  "accounts": ["023e105f4ecef8ad9ca31a8372d0c353"],
//	  "principals": [
//	    {"name": "responder", "token": "…", "accounts": {"023e…": "write"}},
//	    {"name": "legacy", "email": "soc@customer.example", "key": "…", "accounts": {"023e…": "read"}}
//	  ],
//	  "jobs": [{"account": "023e…", "job_id": "…", "action": "MOVE", "destination": "JunkEmail",
//	            "search_params": {}, "status": "PROCESSING", "total_messages_discovered": 10,
//	            "messages_pending": 4, "messages_successful": 6,
//	            "plan": {"total": 10, "process_per_step": 1}}]
//	}
type fileConfig struct {
	Notes      []string        `json:"notes"`
	Shape      string          `json:"shape"`
	Seed       uint64          `json:"seed"`
	Step       duration        `json:"step"`
	Admin      bool            `json:"admin"`
	RateLimit  *fileRateLimit  `json:"rate_limit"`
	Accounts   []string        `json:"accounts"`
	Principals []filePrincipal `json:"principals"`
	Jobs       []fileJob       `json:"jobs"`
}

type fileRateLimit struct {
	Requests int      `json:"requests"`
	Window   duration `json:"window"`
	Block    duration `json:"block"`
}

type filePrincipal struct {
	Name     string            `json:"name"`
	Token    string            `json:"token"`
	Email    string            `json:"email"`
	Key      string            `json:"key"`
	Accounts map[string]string `json:"accounts"`
}

// fileJob is a SeedJob in the file; the counter and timestamp keys are the
// job object's wire names.
type fileJob struct {
	Account             string          `json:"account"`
	JobID               string          `json:"job_id"`
	Action              string          `json:"action"`
	Destination         string          `json:"destination"`
	ExpectedDisposition string          `json:"expected_disposition"`
	Comment             *string         `json:"comment"`
	SearchParams        json.RawMessage `json:"search_params"`
	Status              string          `json:"status"`
	Total               int             `json:"total_messages_discovered"`
	Pending             int             `json:"messages_pending"`
	Successful          int             `json:"messages_successful"`
	Failed              int             `json:"messages_failed"`
	Skipped             int             `json:"messages_skipped"`
	Cancelled           int             `json:"messages_cancelled"`
	CreatedAt           *time.Time      `json:"created_at"`
	StartedAt           *time.Time      `json:"started_at"`
	CompletedAt         *time.Time      `json:"completed_at"`
	StatusMessage       *string         `json:"status_message"`
	Plan                *filePlan       `json:"plan"`
}

type filePlan struct {
	Total           int     `json:"total"`
	PendingSteps    int     `json:"pending_steps"`
	DiscoverPerStep int     `json:"discover_per_step"`
	ProcessPerStep  int     `json:"process_per_step"`
	FailureRate     float64 `json:"failure_rate"`
	RetryRate       float64 `json:"retry_rate"`
	SkipRate        float64 `json:"skip_rate"`
	Outcome         string  `json:"outcome"`
	FailAfter       int     `json:"fail_after"`
}

// LoadConfig reads a JSON config file (format above). Fields it leaves out
// take New's defaults; Clock is left nil (the real clock). New validates the
// principals and jobs further.
func LoadConfig(r io.Reader) (Config, error) {
	var fc fileConfig
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		return Config{}, fmt.Errorf("cfsim: config: %w", err)
	}
	if dec.More() {
		return Config{}, errors.New("cfsim: config: trailing data after the JSON object")
	}
	cfg := Config{Seed: fc.Seed, Step: time.Duration(fc.Step), EnableAdmin: fc.Admin, Accounts: fc.Accounts}
	switch fc.Shape {
	case "", "new":
	case "old":
		cfg.Shape = ShapeOld
	default:
		return Config{}, fmt.Errorf("cfsim: config: shape must be \"old\" or \"new\", not %q", fc.Shape)
	}
	if rl := fc.RateLimit; rl != nil {
		cfg.RateLimit, cfg.RateWindow, cfg.RateBlock = rl.Requests, time.Duration(rl.Window), time.Duration(rl.Block)
	}
	for i, fp := range fc.Principals {
		p := Principal{Name: fp.Name, Token: fp.Token, Email: fp.Email, Key: fp.Key, Accounts: map[string]Permission{}}
		for acct, perm := range fp.Accounts {
			switch perm {
			case "read":
				p.Accounts[acct] = PermRead
			case "write":
				p.Accounts[acct] = PermWrite
			default:
				return Config{}, fmt.Errorf("cfsim: config: principals[%d].accounts[%q]: permission must be \"read\" or \"write\"", i, acct)
			}
		}
		cfg.Principals = append(cfg.Principals, p)
	}
	for i, fj := range fc.Jobs {
		sj, err := fj.seed()
		if err != nil {
			return Config{}, fmt.Errorf("cfsim: config: jobs[%d]: %w", i, err)
		}
		cfg.Jobs = append(cfg.Jobs, sj)
	}
	return cfg, nil
}

// seed converts a file job to a SeedJob. A missing search_params means {}.
func (fj fileJob) seed() (SeedJob, error) {
	sp := SearchParams{DetectionsOnly: true}
	if len(fj.SearchParams) > 0 && !isNull(fj.SearchParams) {
		var err error
		if sp, err = parseSearchParams(fj.SearchParams, "search_params"); err != nil {
			return SeedJob{}, err
		}
	}
	sj := SeedJob{
		ID: fj.JobID, Account: fj.Account, Action: fj.Action,
		Destination: fj.Destination, ExpectedDisposition: fj.ExpectedDisposition,
		Comment: fj.Comment, SearchParams: sp, Status: fj.Status,
		TotalDiscovered: fj.Total, Pending: fj.Pending, Successful: fj.Successful,
		Failed: fj.Failed, Skipped: fj.Skipped, Cancelled: fj.Cancelled,
		CreatedAt: fj.CreatedAt, StartedAt: fj.StartedAt, CompletedAt: fj.CompletedAt,
		StatusMessage: fj.StatusMessage,
	}
	if p := fj.Plan; p != nil {
		sj.Plan = &Plan{
			Total: p.Total, PendingSteps: p.PendingSteps, DiscoverPerStep: p.DiscoverPerStep,
			ProcessPerStep: p.ProcessPerStep, FailureRate: p.FailureRate, RetryRate: p.RetryRate,
			SkipRate: p.SkipRate, Outcome: p.Outcome, FailAfter: p.FailAfter,
		}
	}
	return sj, sj.validate()
}

// duration is a time.Duration written as a Go duration string ("1.5s").
type duration time.Duration

// MarshalJSON writes the duration as a string.
func (d duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string such as "250ms" or "5m".
func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("a duration must be a string such as \"1s\" or \"5m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("bad duration %q: %w", s, err)
	}
	*d = duration(v)
	return nil
}
