package handlers

// Recorder is told what the handlers do, for the metrics; web/metrics
// implements it and main gives it as Handler.Metrics (nil records nothing).
// It never receives a secret, an email or a path.
type Recorder interface {
	// CredentialUsed says that a request opened the stored credential id
	// (the store's ID) for accountID; key is its guard.Key. The metrics
	// label the budget, the breaker and the refresher by id through it.
	CredentialUsed(id, accountID, key string)
	// CancelOutcome counts one cancel request by its final outcome, the one
	// its audit row records (ok, already_finished, not_confirmed, joined, …).
	CancelOutcome(outcome string)
}

// recorder returns h.Metrics, or one that records nothing.
func (h *Handler) recorder() Recorder {
	if h.Metrics == nil {
		return noRecorder{}
	}
	return h.Metrics
}

// noRecorder records nothing.
type noRecorder struct{}

func (noRecorder) CredentialUsed(string, string, string) {}
func (noRecorder) CancelOutcome(string)                  {}
