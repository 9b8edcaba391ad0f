package web

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/handlers"
)

// routes is the dashboard's one route table. Middleware is given per route
// rather than through groups: an Echo group with middleware also catches every
// unknown path below it, which would turn a wrong method's 405 into a 404.
func routes(e *echo.Echo, h *handlers.Handler, cop *http.CrossOriginProtection) {
	e.GET("/healthz", h.Healthz)
	e.GET("/readyz", h.Readyz)

	// Session and CSRF protection on unsafe methods.
	session := []echo.MiddlewareFunc{h.LoadSession, h.RequireCSRF(cop)}
	e.GET("/login", h.ShowLogin, session...)
	e.POST("/login", h.Login, session...)
	e.POST("/logout", h.Logout, session...)

	// A signed-in analyst as well. The user check comes before the CSRF
	// check, so an expired session's htmx request is sent to the login page
	// (HX-Redirect) instead of being refused as a forgery; it changes nothing
	// either way.
	user := []echo.MiddlewareFunc{h.LoadSession, h.RequireUser, h.RequireCSRF(cop)}
	e.GET("/", h.Home, user...)
	e.GET("/accounts", h.ShowAccounts, user...)
	e.GET("/credentials", h.ShowCredentials, user...)
	e.POST("/credentials", h.AddCredential, user...)
	e.POST("/credentials/:id/test", h.TestCredential, user...)
	e.POST("/credentials/:id/delete", h.DeleteCredential, user...)
	e.GET("/accounts/:account_id/jobs", h.ListJobs, user...)
	e.GET("/accounts/:account_id/jobs/:job_id", h.ShowJob, user...)
	e.GET("/accounts/:account_id/jobs/:job_id/messages", h.JobMessages, user...)
	e.GET("/accounts/:account_id/jobs/:job_id/card", h.JobCard, user...)
	e.GET("/accounts/:account_id/jobs/:job_id/cancel-dialog", h.CancelDialog, user...)
	e.POST("/accounts/:account_id/jobs/:job_id/cancel", h.CancelJob, user...)
	e.GET("/account", h.ShowAccount, user...)
	e.POST("/account/password", h.ChangePassword, user...)
	e.GET("/audit", h.ShowAudit, user...)
	e.GET("/audit.csv", h.ExportAudit, user...)
}

// newRequestID is a random UUID per request.
func newRequestID() string { return uuid.NewString() }

// prefixToIPNet converts a netip.Prefix for Echo's trust options.
func prefixToIPNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
