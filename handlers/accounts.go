package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/views"
)

// Home handles GET /: the first account's jobs, or the credentials page when
// the user has none yet.
func (h *Handler) Home(c echo.Context) error {
	ids, err := h.Store.AccountIDs(c.Request().Context(), userOf(c).ID)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return c.Redirect(http.StatusSeeOther, "/credentials")
	}
	return c.Redirect(http.StatusSeeOther, jobsURL(ids[0]))
}

// ShowAccounts handles GET /accounts: the accounts of the user's credentials.
func (h *Handler) ShowAccounts(c echo.Context) error {
	creds, err := h.Store.Credentials(c.Request().Context(), userOf(c).ID)
	if err != nil {
		return err
	}
	labels := map[string][]string{}
	var order []string
	for _, cr := range creds {
		if _, seen := labels[cr.AccountID]; !seen {
			order = append(order, cr.AccountID)
		}
		labels[cr.AccountID] = append(labels[cr.AccountID], cr.Label)
	}
	data := views.AccountsData{Page: h.page(c, "Accounts", "accounts")}
	for _, id := range order {
		data.Accounts = append(data.Accounts, views.AccountRow{AccountID: id, Labels: strings.Join(labels[id], ", "), JobsURL: jobsURL(id)})
	}
	return render(c, http.StatusOK, views.AccountsPage(data))
}
