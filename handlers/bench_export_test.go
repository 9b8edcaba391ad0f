package handlers

import "github.com/labstack/echo/v4"

// CredentialFor exposes credentialFor to the benchmarks of package
// handlers_test.
func (h *Handler) CredentialFor(c echo.Context, accountID string) error {
	_, err := h.credentialFor(c, accountID)
	return err
}

// CancelCalls is how many cancel requests have led or joined a flight.
func (h *Handler) CancelCalls() int64 { return h.cancelCalls.Load() }

// CancelAwaits is how many cancel requests waited for another process's.
func (h *Handler) CancelAwaits() int64 { return h.cancelAwaits.Load() }

// FillHashSlots takes every password-hashing slot until release is called.
func (h *Handler) FillHashSlots() (release func()) {
	n := cap(h.hashSlots())
	for range n {
		h.hashSlots() <- struct{}{}
	}
	return func() {
		for range n {
			<-h.hashSlots()
		}
	}
}

// HashWaiters is how many logins wait for a hashing slot.
func (h *Handler) HashWaiters() int64 { return h.hashWaiters.Load() }

// MaxHashWaiters is the bound of that queue.
const MaxHashWaiters = maxHashWaiters

// AddHashWaiters pretends n more logins wait, to fill the queue in tests.
func (h *Handler) AddHashWaiters(n int64) { h.hashWaiters.Add(n) }
