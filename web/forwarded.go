package web

import (
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Bounds of forwardedWatch: the peers it remembers, and the log lines it
// writes per minute.
const (
	maxWatchedPeers     = 32
	forwardedLogsPerMin = 5
)

// forwardedWatch notices requests that carry X-Forwarded-For or X-Real-IP
// from a peer that is not a trusted proxy. Those headers are ignored then,
// which is right for a client that made them up, but means a reverse proxy
// that was left out of DASHBOARD_TRUSTED_PROXIES: every analyst behind it
// shares its address, its per-address login limit and its audit address.
// Each such peer is logged once (at most forwardedLogsPerMin lines a
// minute; a peer held back is logged on a later request) and named on
// /readyz. It remembers at most maxWatchedPeers peers; more are only
// counted. Only the peer's address is kept, never a header's value.
type forwardedWatch struct {
	trusted []netip.Prefix
	log     *slog.Logger
	now     func() time.Time

	mu      sync.Mutex
	peers   map[netip.Addr]*peerNote
	order   []netip.Addr // as first seen, for /readyz
	more    int          // peers seen after the table was full
	window  time.Time    // start of the current log minute
	written int          // log lines in the current minute
}

// peerNote is what is kept about one untrusted peer.
type peerNote struct {
	header string // the first forwarding header it sent
	logged bool
}

// newForwardedWatch watches for forwarding headers from peers outside trusted.
func newForwardedWatch(trusted []netip.Prefix, log *slog.Logger, now func() time.Time) *forwardedWatch {
	if now == nil {
		now = time.Now
	}
	return &forwardedWatch{trusted: trusted, log: log, now: now, peers: map[netip.Addr]*peerNote{}}
}

// middleware looks at every request; one without forwarding headers costs
// two header lookups.
func (w *forwardedWatch) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		header := ""
		switch {
		case r.Header.Get("X-Forwarded-For") != "":
			header = "X-Forwarded-For"
		case r.Header.Get("X-Real-IP") != "":
			header = "X-Real-IP"
		}
		if header != "" {
			if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil && !w.isTrusted(ap.Addr().Unmap()) {
				w.note(ap.Addr().Unmap(), header)
			}
		}
		return next(c)
	}
}

// isTrusted reports whether peer is a configured proxy.
func (w *forwardedWatch) isTrusted(peer netip.Addr) bool {
	for _, p := range w.trusted {
		if p.Contains(peer) {
			return true
		}
	}
	return false
}

// note records that peer sent header, and logs it the first time the rate
// limit allows.
func (w *forwardedWatch) note(peer netip.Addr, header string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.peers[peer]
	if n == nil {
		if len(w.peers) >= maxWatchedPeers {
			w.more++
			return
		}
		n = &peerNote{header: header}
		w.peers[peer] = n
		w.order = append(w.order, peer)
	}
	if n.logged {
		return
	}
	now := w.now()
	if now.Sub(w.window) >= time.Minute {
		w.window, w.written = now, 0
	}
	if w.written >= forwardedLogsPerMin {
		return
	}
	w.written++
	n.logged = true
	w.log.Warn("forwarding header from a peer that is not a trusted proxy was ignored",
		"peer", peer.String(), "header", n.header,
		"consequence", "every client behind this peer shares its address, its login limit and its audit address; if it is your proxy, add it to DASHBOARD_TRUSTED_PROXIES")
}

// warnings returns the lines for /readyz.
func (w *forwardedWatch) warnings() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var lines []string
	for _, peer := range w.order {
		lines = append(lines, "warning: requests from "+peer.String()+" carry "+w.peers[peer].header+
			" but that peer is not in DASHBOARD_TRUSTED_PROXIES")
	}
	if w.more > 0 {
		lines = append(lines, "warning: "+strconv.Itoa(w.more)+" more requests from further peers carry forwarding headers (not listed)")
	}
	return lines
}
