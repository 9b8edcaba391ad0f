package web

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/handlers"
)

// routes is the dashboard's one route table.
func routes(e *echo.Echo, h *handlers.Handler, cop *http.CrossOriginProtection) {
	e.GET("/healthz", h.Healthz)
	e.GET("/readyz", h.Readyz)

	// Everything below has a session and CSRF protection on unsafe methods.
	s := e.Group("", h.LoadSession, h.RequireCSRF(cop))
	s.GET("/login", h.ShowLogin)
	s.POST("/login", h.Login)
	s.POST("/logout", h.Logout)

	// Everything below needs a signed-in analyst.
	u := s.Group("", h.RequireUser)
	u.GET("/", h.Home)
	u.GET("/accounts", h.ShowAccounts)
	u.GET("/credentials", h.ShowCredentials)
	u.POST("/credentials", h.AddCredential)
	u.POST("/credentials/:id/test", h.TestCredential)
	u.POST("/credentials/:id/delete", h.DeleteCredential)
	u.GET("/accounts/:account_id/jobs", h.ListJobs)
	u.GET("/accounts/:account_id/jobs/:job_id", h.ShowJob)
	u.GET("/accounts/:account_id/jobs/:job_id/messages", h.JobMessages)
}

// newRequestID is a random UUID per request.
func newRequestID() string { return uuid.NewString() }

// prefixToIPNet converts a netip.Prefix for Echo's trust options.
func prefixToIPNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
