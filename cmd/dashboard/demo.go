package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web"
)

// Demo analysts. The passwords are printed in the banner: demo mode is for a
// laptop, and refuses a non-loopback address unless forced.
const (
	demoResponder         = "responder@demo.example"
	demoResponderPassword = "demo-responder-pass"
	demoViewer            = "viewer@demo.example"
	demoViewerPassword    = "demo-viewer-pass-1"
	demoAdmin             = "admin@demo.example"
	demoAdminPassword     = "demo-admin-password"
)

// demoEnv is the in-process simulator and temporary data folder of -demo.
type demoEnv struct {
	sim     *http.Server
	simURL  string
	dataDir string
	base    func(string) string
}

// startDemo starts the simulator on a loopback port with its demo data.
func startDemo(getenv func(string) string, force bool) (*demoEnv, error) {
	addr := getenv("DASHBOARD_ADDR")
	if addr == "" {
		addr = web.DefaultAddr
	}
	if !force && !loopback(addr) {
		return nil, fmt.Errorf("demo mode listens on loopback only, and %q is not a loopback address; pass -force to override", addr)
	}
	sim, err := cfsim.New(cfsim.DemoConfig(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	d := &demoEnv{sim: &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}, simURL: "http://" + ln.Addr().String() + "/client/v4", base: getenv}
	go d.sim.Serve(ln)
	if getenv("DASHBOARD_DATA_DIR") == "" {
		if d.dataDir, err = os.MkdirTemp("", "dashboard-demo-"); err != nil {
			d.close()
			return nil, err
		}
	}
	return d, nil
}

// getenv points the dashboard at the simulator and the demo data folder.
func (d *demoEnv) getenv(name string) string {
	switch name {
	case "DASHBOARD_API_BASE_URL":
		return d.simURL
	case "DASHBOARD_DATA_DIR":
		if d.dataDir != "" {
			return d.dataDir
		}
	case "DASHBOARD_LOG_FORMAT":
		if v := d.base(name); v != "" {
			return v
		}
		return "text"
	}
	return d.base(name)
}

// seed creates the demo analysts and their stored simulator tokens; it is a
// no-op for analysts that already exist (a kept data folder).
func (d *demoEnv) seed(ctx context.Context, st store.Store) error {
	for _, a := range []struct {
		email, password string
		role            store.Role
		token           string
	}{
		{demoResponder, demoResponderPassword, store.RoleResponder, cfsim.DemoWriteToken},
		{demoViewer, demoViewerPassword, store.RoleViewer, cfsim.DemoReadToken},
		{demoAdmin, demoAdminPassword, store.RoleAdmin, cfsim.DemoWriteToken},
	} {
		hash, err := store.HashPassword(a.password)
		if err != nil {
			return err
		}
		u, err := st.CreateUser(ctx, a.email, a.role, hash)
		if errors.Is(err, store.ErrDuplicate) {
			continue
		} else if err != nil {
			return err
		}
		for i, acct := range []string{cfsim.DemoAccountID, cfsim.DemoSecondAccountID} {
			_, err := st.AddCredential(ctx, store.NewCredential{
				UserID: u.ID, Label: fmt.Sprintf("Demo account %d (simulator)", i+1), AccountID: acct,
				Kind: store.CredentialAPIToken, Secret: store.Secret{Token: a.token},
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// banner prints where to go and how to log in.
func (d *demoEnv) banner(w io.Writer, url string) {
	fmt.Fprintf(w, `
Bulk jobs dashboard: DEMO MODE (simulated Cloudflare at %s)
  Open:  %s/
  Log in as a responder (can cancel): %s / %s
  Log in as a viewer (read only):     %s / %s
  Log in as an admin:                 %s / %s
  Data folder: %s (temporary unless DASHBOARD_DATA_DIR is set)

`, d.simURL, url, demoResponder, demoResponderPassword, demoViewer, demoViewerPassword, demoAdmin, demoAdminPassword, d.getenv("DASHBOARD_DATA_DIR"))
}

// close stops the simulator and removes the temporary data folder.
func (d *demoEnv) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = d.sim.Shutdown(ctx)
	if d.dataDir != "" {
		_ = os.RemoveAll(d.dataDir)
	}
}

// loopback reports whether addr listens on a loopback interface only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
