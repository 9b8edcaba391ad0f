package cfsim

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
)

// account returns the named account, creating it. The caller holds s.mu or
// is New.
func (s *Server) account(id string) *account {
	a := s.accounts[id]
	if a == nil {
		a = &account{jobs: make(map[string]*job)}
		s.accounts[id] = a
	}
	return a
}

// insert adds j and keeps the Q6 list order: created_at descending, then
// job_id ascending (a simulator choice for the tie-break direction).
func (a *account) insert(j *job) {
	a.jobs[j.id] = j
	i, _ := slices.BinarySearchFunc(a.order, j, compareJobs)
	a.order = slices.Insert(a.order, i, j)
}

func compareJobs(a, b *job) int {
	if c := b.createdAt.Compare(a.createdAt); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// remove deletes the job with the given ID.
func (a *account) remove(id string) {
	delete(a.jobs, id)
	a.order = slices.DeleteFunc(a.order, func(j *job) bool { return j.id == id })
}

// AddJob validates a seed job and places it in account. A non-empty j.Account
// must equal account. Job IDs must be unique across accounts.
func (s *Server) AddJob(account string, j SeedJob) error {
	if j.Account != "" && j.Account != account {
		return fmt.Errorf("cfsim: seed job %q: account %q differs from %q", j.ID, j.Account, account)
	}
	j.Account = account
	if err := j.validate(); err != nil {
		return fmt.Errorf("cfsim: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.advance(now)
	for _, a := range s.accounts {
		if a.jobs[j.ID] != nil {
			return fmt.Errorf("cfsim: seed job %q: id already used", j.ID)
		}
	}
	s.account(account).insert(newSeededJob(j, s.cfg.Seed, now, s.cfg.Step))
	return nil
}

// findJob returns the call's job, or nil.
func (s *Server) findJob(c *call) *job {
	if a := s.accounts[c.account]; a != nil {
		return a.jobs[c.jobID]
	}
	return nil
}

// listJobs handles E1 GET …/bulk.
func (s *Server) listJobs(c *call) reply {
	lq, rep := parseListQuery(c.r.URL.Query(), true)
	if rep != nil {
		return *rep
	}
	var matched []*job
	if a := s.accounts[c.account]; a != nil {
		matched = a.order
		if lq.status != "" || lq.actionType != "" {
			matched = nil
			for _, j := range a.order {
				if (lq.status == "" || j.status == lq.status) && (lq.actionType == "" || j.action == lq.actionType) {
					matched = append(matched, j)
				}
			}
		}
	}
	from, to := lq.pageBounds(len(matched))
	out := make([]jobJSON, 0, to-from)
	for _, j := range matched[from:to] {
		out = append(out, j.toJSON(s.cfg.Shape))
	}
	return okReply(http.StatusOK, out, lq.info(len(out)))
}

// getJob handles E3 GET …/bulk/{job_id}.
func (s *Server) getJob(c *call) reply {
	j := s.findJob(c)
	if j == nil {
		return jobNotFound()
	}
	return okReply(http.StatusOK, j.toJSON(s.cfg.Shape), nil)
}

// deleteJob handles E4 DELETE …/bulk/{job_id}: only terminal jobs (Q2); a
// deleted job is gone from E1, E3 and E6, and a second delete is a 404 (Q3).
func (s *Server) deleteJob(c *call) reply {
	j := s.findJob(c)
	if j == nil {
		return jobNotFound()
	}
	if !isTerminal(j.status) {
		return errReply(http.StatusBadRequest, codeConflict, "only terminal jobs can be deleted", "")
	}
	s.accounts[c.account].remove(j.id)
	return okReply(http.StatusOK, deleteResultJSON{ID: j.id}, nil)
}

// cancelJob handles E5 POST …/bulk/{job_id}/cancel (Q1, Q8, Q9, Q19). The
// engine has already caught up with now, so a job that completed before the
// cancel arrived is terminal here: the first writer wins.
func (s *Server) cancelJob(c *call) reply {
	j := s.findJob(c)
	if j == nil {
		return jobNotFound()
	}
	switch j.status {
	case StatusCancelled:
		// Q1: idempotent, the job is unchanged.
	case StatusCompleted, StatusFailed, StatusSkipped:
		return errReply(http.StatusBadRequest, codeConflict, "job is already in a terminal state", "")
	default:
		j.cancel(c.now)
	}
	return okReply(http.StatusOK, j.toJSON(s.cfg.Shape), nil)
}
