package handlers

import "github.com/labstack/echo/v4"

// CredentialFor exposes credentialFor to the benchmarks of package
// handlers_test.
func (h *Handler) CredentialFor(c echo.Context, accountID string) error {
	_, err := h.credentialFor(c, accountID)
	return err
}
