package cfsim

import "net/http"

// listMessages handles E6 GET …/bulk/{job_id}/messages. Rows come in a
// simulator-chosen order (the contract gives none): created_at ascending,
// then message_id ascending. A job's rows always agree with its counters.
func (s *Server) listMessages(c *call) reply {
	lq, rep := parseListQuery(c.r.URL.Query(), false)
	if rep != nil {
		return *rep
	}
	j := s.findJob(c)
	if j == nil {
		return jobNotFound()
	}
	rows := j.rows
	if lq.status != "" {
		rows = nil
		for _, r := range j.rows {
			if r.status == lq.status {
				rows = append(rows, r)
			}
		}
	}
	from, to := lq.pageBounds(len(rows))
	out := make([]messageJSON, 0, to-from)
	for _, r := range rows[from:to] {
		out = append(out, j.rowJSON(r))
	}
	return okReply(http.StatusOK, out, lq.info(len(out)))
}

// rowJSON renders one row (contract section 6); the nullable fields are
// always present, as null when unset.
func (j *job) rowJSON(r *row) messageJSON {
	m := messageJSON{
		MessageID:      r.id,
		PostfixID:      r.postfixID,
		ActionType:     j.action,
		ActionParams:   messageActionJSON{Type: j.action, ClientRecipient: r.recipient},
		Status:         r.status,
		RetryCount:     r.retryCount,
		CreatedAt:      wireTime(r.createdAt),
		ProcessedAt:    wireTimePtr(r.processedAt),
		AlertID:        optString(r.alertID),
		EmailMessageID: optString(r.emailMessageID),
		RetryAfter:     wireTimePtr(r.retryAfter),
		StatusMessage:  optString(r.statusMessage),
	}
	if j.action == ActionMove {
		m.ActionParams.Destination = j.destination
		m.ActionParams.ExpectedDisposition = j.expectedDisposition
	}
	return m
}
