package handlers

import (
	"context"
	"errors"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/respond/bulkjobs/apiclient"
	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/views"
)

// Live data: every list, card and job page of a credential is answered from
// its account's snapshot (Handler.Live), and a poll says which version it
// shows, so that an unchanged answer is a 204 with nothing rendered.

// errJobUnread stands in when a snapshot lacks a job and no read said why.
var errJobUnread = errors.New("the job could not be read")

// watchJob returns the job from cred's snapshot of the account, reading it
// once when the snapshot lacks it. An entry whose latest read failed is
// returned for display (marked stale by entryStale) when the failure left
// the job's state unknown for a while; a refusal (401, 403, 404) is
// returned as the error, as a direct read would have.
func (h *Handler) watchJob(ctx context.Context, cred apiclient.Credential, accountID, jobID string) (guard.Entry, error) {
	snap, err := h.feeds().Watch(ctx, cred, accountID, jobID)
	e, ok := snap.Entry(jobID)
	switch {
	case !ok && err != nil:
		return e, err
	case !ok && snap != nil && snap.Err != nil:
		return e, snap.Err
	case !ok:
		return e, errJobUnread
	case e.Err != nil && !unreadable(e.Err):
		return guard.Entry{}, e.Err
	}
	return e, nil
}

// entryStale marks an entry whose latest read failed: as of when, and why.
func (h *Handler) entryStale(e guard.Entry) *views.Stale {
	return h.staleAt(e.At, e.Tried, e.Err)
}

// snapshotStale marks a list cut from a snapshot whose latest read failed.
func (h *Handler) snapshotStale(s *guard.Snapshot) *views.Stale {
	return h.staleAt(s.At, s.Tried, s.Err)
}

// staleAt is the marker of data from at, after a read at tried failed with
// err; nil when err is nil.
func (h *Handler) staleAt(at, tried time.Time, err error) *views.Stale {
	if err == nil {
		return nil
	}
	return &views.Stale{AsOf: displayTime(&at, h.now()), Clock: clockUTC(at), Reason: h.whyUnreadAt(err, tried)}
}

// staleKey names what a stale marker says, for a poll to tell whether it
// must be shown again: "" when there is none.
func staleKey(s *views.Stale) string {
	if s == nil {
		return ""
	}
	return shortHash(s.Clock, s.Reason)
}

// shortHash is 8 hex digits of FNV-1a over parts: a page's composition or a
// marker's text, compared with what a poll says it shows. Not a secret.
func shortHash(parts ...string) string {
	f := fnv.New32a()
	for _, p := range parts {
		f.Write([]byte(p))
		f.Write([]byte{0})
	}
	return strconv.FormatUint(uint64(f.Sum32())|1<<32, 16)[1:]
}

// withShown adds to a poll URL the version its answer shows and, when that
// answer is marked stale, the marker's key.
func withShown(u string, version uint64, stale string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	u += sep + "v=" + strconv.FormatUint(version, 10)
	if stale != "" {
		u += "&s=" + stale
	}
	return u
}

// shown is what a poll says its page shows: a version and a stale marker.
type shown struct {
	set     bool // the poll named a version
	version uint64
	stale   string
}

// parseShown reads v and s; a bad value is a 400, never a silent re-render.
func parseShown(c echo.Context) (shown, error) {
	var s shown
	if v := c.QueryParam("v"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return s, echo.NewHTTPError(http.StatusBadRequest, "The poll's version (v) must be a number.")
		}
		s.set, s.version = true, n
	}
	s.stale = c.QueryParam("s")
	if !validKey(s.stale) {
		return s, echo.NewHTTPError(http.StatusBadRequest, "The poll's marker key (s) must be 8 hexadecimal digits.")
	}
	return s, nil
}

// validKey accepts "" or a shortHash.
func validKey(k string) bool {
	if k == "" {
		return true
	}
	if len(k) != 8 {
		return false
	}
	for _, r := range k {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// current reports whether a card poll's page already shows entry e with
// the marker stale: then the answer is 204 and nothing is rendered.
func (s shown) current(e guard.Entry, stale *views.Stale) bool {
	return s.set && e.Version <= s.version && s.stale == staleKey(stale)
}
