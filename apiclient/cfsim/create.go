package cfsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"
)

// fieldError is invalid input at a JSON pointer.
type fieldError struct {
	pointer, msg string
}

func (e *fieldError) Error() string { return e.pointer + ": " + e.msg }

// createRequest is a validated E2 body (BulkActionRequest, contract E2).
type createRequest struct {
	action, destination, disposition string
	comment                          *string
	search                           SearchParams
}

var (
	createKeys = []string{"action", "search_params", "comment", "destination", "expected_disposition"}
	searchKeys = []string{
		"action_log", "alert_id", "delivery_status", "detections_only", "domain", "start", "end",
		"exact_subject", "subject", "final_disposition", "message_action", "message_id", "metric",
		"query", "recipient", "sender", "submissions",
	}
)

// parseCreate validates an E2 body (Q11). Unknown keys are rejected (a
// simulator choice that catches misspelt client struct tags); null counts as
// absent; for a RELEASE job destination and expected_disposition are
// validated but ignored.
func parseCreate(body []byte) (createRequest, error) {
	var req createRequest
	f, err := objectFields(body, "", createKeys)
	if err != nil {
		return req, err
	}
	if req.action, err = f.enum("action", actions); err != nil {
		return req, err
	}
	if req.action == "" {
		return req, &fieldError{"/action", "action is required, one of " + enumList(actions)}
	}
	if req.destination, err = f.enum("destination", destinations); err != nil {
		return req, err
	}
	if req.disposition, err = f.enum("expected_disposition", dispositions); err != nil {
		return req, err
	}
	var comment string
	if comment, err = f.str("comment"); err != nil {
		return req, err
	}
	if f.present("comment") {
		req.comment = &comment
	}
	if !f.present("search_params") {
		return req, &fieldError{"/search_params", "search_params is required (an object, {} matches all)"}
	}
	if req.search, err = parseSearchParams(f.m["search_params"], "/search_params"); err != nil {
		return req, err
	}
	if req.action == ActionMove && req.destination == "" {
		return req, &fieldError{"/destination", "destination is required for MOVE, one of " + enumList(destinations)}
	}
	if req.action == ActionRelease {
		req.destination, req.disposition = "", ""
	}
	return req, nil
}

// parseSearchParams validates a BulkSearchParams object at pointer and fills
// the contract defaults (detections_only true, the others false).
func parseSearchParams(raw []byte, pointer string) (SearchParams, error) {
	p := SearchParams{DetectionsOnly: true}
	f, err := objectFields(raw, pointer, searchKeys)
	if err != nil {
		return p, err
	}
	bools := []struct {
		name string
		dst  *bool
	}{{"action_log", &p.ActionLog}, {"detections_only", &p.DetectionsOnly}, {"submissions", &p.Submissions}}
	for _, b := range bools {
		if err := f.boolean(b.name, b.dst); err != nil {
			return p, err
		}
	}
	strs := []struct {
		name string
		dst  *string
	}{
		{"alert_id", &p.AlertID}, {"domain", &p.Domain}, {"exact_subject", &p.ExactSubject},
		{"subject", &p.Subject}, {"message_id", &p.MessageID}, {"metric", &p.Metric},
		{"query", &p.Query}, {"recipient", &p.Recipient}, {"sender", &p.Sender},
	}
	for _, s := range strs {
		if *s.dst, err = f.str(s.name); err != nil {
			return p, err
		}
	}
	if p.DeliveryStatus, err = f.enum("delivery_status", deliveryStatuses); err != nil {
		return p, err
	}
	if p.FinalDisposition, err = f.enum("final_disposition", dispositions); err != nil {
		return p, err
	}
	if p.MessageAction, err = f.enum("message_action", messageActions); err != nil {
		return p, err
	}
	if p.Start, err = f.time("start"); err != nil {
		return p, err
	}
	if p.End, err = f.time("end"); err != nil {
		return p, err
	}
	if ptr, err := p.validate(); err != nil {
		return p, &fieldError{ptr, err.Error()}
	}
	return p, nil
}

// fields is a decoded JSON object whose members are read one by one.
type fields struct {
	m      map[string]json.RawMessage
	prefix string
}

// objectFields decodes raw as a JSON object with only the allowed keys.
func objectFields(raw []byte, pointer string, allowed []string) (fields, error) {
	f := fields{prefix: pointer}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &f.m) != nil {
		return f, &fieldError{pointerOr(pointer), "must be a JSON object"}
	}
	for k := range f.m {
		if !slices.Contains(allowed, k) {
			return f, &fieldError{pointer + "/" + k, "unknown field"}
		}
	}
	return f, nil
}

func pointerOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func (f fields) str(name string) (string, error) {
	raw := f.m[name]
	var s string
	if !f.present(name) {
		return "", nil
	}
	if json.Unmarshal(raw, &s) != nil {
		return "", &fieldError{f.prefix + "/" + name, "must be a string"}
	}
	return s, nil
}

func (f fields) boolean(name string, dst *bool) error {
	raw := f.m[name]
	if raw == nil || isNull(raw) {
		return nil
	}
	if json.Unmarshal(raw, dst) != nil {
		return &fieldError{f.prefix + "/" + name, "must be a boolean"}
	}
	return nil
}

func (f fields) enum(name string, allowed []string) (string, error) {
	s, err := f.str(name)
	if err != nil {
		return "", err
	}
	if f.present(name) && !oneOf(s, allowed) {
		return "", &fieldError{f.prefix + "/" + name, "must be one of " + enumList(allowed)}
	}
	return s, nil
}

// present reports whether name is set to something other than null.
func (f fields) present(name string) bool {
	raw, ok := f.m[name]
	return ok && !isNull(raw)
}

func (f fields) time(name string) (time.Time, error) {
	s, err := f.str(name)
	if err != nil || !f.present(name) {
		return time.Time{}, err
	}
	t, perr := time.Parse(time.RFC3339Nano, s)
	if perr != nil {
		return time.Time{}, &fieldError{f.prefix + "/" + name, "must be an RFC 3339 date-time"}
	}
	return t, nil
}

// createJob handles E2 POST …/bulk: 201 with the new PENDING job.
func (s *Server) createJob(c *call) reply {
	req, err := parseCreate(c.body)
	if err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return badRequest(fe.pointer, fe.msg)
		}
		return badRequest("/", err.Error())
	}
	id := newUUID(s.rng)
	for s.idTaken(id) {
		id = newUUID(s.rng)
	}
	now := msTime(c.now)
	j := &job{
		id: id, account: c.account, action: req.action,
		destination: req.destination, expectedDisposition: req.disposition,
		comment: req.comment, search: req.search, status: StatusPending,
		createdAt: now, rng: newJobRNG(s.cfg.Seed, id),
		step: s.cfg.Step, nextStep: now.Add(s.cfg.Step),
	}
	j.plan = randomPlan(j.rng, req.search)
	s.account(c.account).insert(j)
	return okReply(http.StatusCreated, j.toJSON(s.cfg.Shape), nil)
}

func (s *Server) idTaken(id string) bool {
	for _, a := range s.accounts {
		if a.jobs[id] != nil {
			return true
		}
	}
	return false
}

// randomPlan draws a created job's plan: about 8% find nothing (SKIPPED),
// 10% end FAILED, the rest complete; sizes range from a handful of rows to
// a few thousand.
func randomPlan(r *rand.Rand, sp SearchParams) Plan {
	p := Plan{
		PendingSteps:    r.IntN(3),
		DiscoverPerStep: 25 + r.IntN(200),
		ProcessPerStep:  10 + r.IntN(90),
		RetryRate:       0.03,
		Outcome:         StatusCompleted,
	}
	switch x := r.Float64(); {
	case x < 0.08:
		p.Total = 0
	case x < 0.4:
		p.Total = 1 + r.IntN(50)
	case x < 0.8:
		p.Total = 50 + r.IntN(950)
	default:
		p.Total = 1000 + r.IntN(2000)
	}
	if r.IntN(2) == 0 {
		p.FailureRate = r.Float64() * 0.05
	}
	if sp.Submissions {
		p.SkipRate = 0.2
	} else if r.IntN(10) < 3 {
		p.SkipRate = 0.02
	}
	if r.IntN(10) == 0 {
		p.Outcome = StatusFailed
		p.FailAfter = r.IntN(p.Total + 1)
	}
	return p
}
