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
