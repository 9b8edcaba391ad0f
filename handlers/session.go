package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

// Session values. The cookie holds only IDs and timestamps, never a secret
// from Cloudflare and never a password.
const (
	keyUserID  = "uid"
	keyVersion = "ver"
	keyIssued  = "iat"
	keySeen    = "seen"
	keyCSRF    = "csrf"
	keyFlash   = "flash"
)

// seenResolution is how stale the idle timestamp may get before the cookie is
// rewritten; it spares a Set-Cookie on every poll.
const seenResolution = time.Minute

// SessionManager reads and writes the encrypted session cookie, and the
// device cookies made with the same keys.
type SessionManager struct {
	store   *sessions.CookieStore
	devices *deviceCookies
	name    string
	idle    time.Duration
	max     time.Duration
	now     func() time.Time
}

// KeyPair is one session key pair, newest first in NewSessionManager.
type KeyPair struct{ Hash, Block []byte }

// NewSessionManager builds the cookie store. Every cookie attribute is set
// here explicitly: gorilla/sessions defaults to SameSite=None and no HttpOnly.
// Cookies made with any of keys are accepted; new ones use keys[0]. The same
// keys make the device cookies (device.go).
func NewSessionManager(keys []KeyPair, secure bool, idle, max time.Duration, now func() time.Time) (*SessionManager, error) {
	if len(keys) == 0 {
		return nil, errors.New("session: no keys")
	}
	var pairs [][]byte
	for _, k := range keys {
		if len(k.Hash) < 32 || len(k.Block) != 32 {
			return nil, errors.New("session: keys must be 32-byte hash and 32-byte block keys")
		}
		pairs = append(pairs, k.Hash, k.Block)
	}
	cs := sessions.NewCookieStore(pairs...)
	cs.MaxAge(int(max / time.Second)) // the codecs reject cookies older than the absolute timeout
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   0, // a browser-session cookie; the timeouts are enforced inside
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	name := "dash_session"
	if secure {
		name = "__Host-dash_session" // __Host-: Secure, Path=/, no Domain
	}
	if now == nil {
		now = time.Now
	}
	return &SessionManager{store: cs, devices: newDeviceCookies(keys, secure, now), name: name, idle: idle, max: max, now: now}, nil
}

// CookieName returns the session cookie's name.
func (m *SessionManager) CookieName() string { return m.name }

// Session is one request's session.
type Session struct {
	raw   *sessions.Session
	dirty bool
}

// load returns the request's session. A cookie that cannot be decoded (an old
// key, tampering, expiry) yields a fresh, empty session: the user simply logs in
// again.
func (m *SessionManager) load(r *http.Request) *Session {
	raw, err := m.store.Get(r, m.name)
	if err != nil {
		raw, _ = m.store.New(r, m.name)
		raw.Values = map[any]any{}
		raw.IsNew = true
		return &Session{raw: raw, dirty: true}
	}
	return &Session{raw: raw}
}

// save writes the cookie when something changed.
func (m *SessionManager) save(c echo.Context, s *Session) error {
	if !s.dirty {
		return nil
	}
	s.dirty = false
	return m.store.Save(c.Request(), c.Response(), s.raw)
}

// int64Value reads an int64 session value.
func (s *Session) int64Value(k string) int64 {
	v, _ := s.raw.Values[k].(int64)
	return v
}

// stringValue reads a string session value.
func (s *Session) stringValue(k string) string {
	v, _ := s.raw.Values[k].(string)
	return v
}

// set changes a value and marks the session for saving.
func (s *Session) set(k string, v any) {
	s.raw.Values[k] = v
	s.dirty = true
}

// CSRFToken returns the session's synchronizer token, creating it if needed.
func (s *Session) CSRFToken() string {
	if t := s.stringValue(keyCSRF); t != "" {
		return t
	}
	t := randomToken()
	s.set(keyCSRF, t)
	return t
}

// login replaces everything in the session: a new token and fresh timestamps,
// so a cookie planted before login is worth nothing after it.
func (s *Session) login(userID, version int64, now time.Time) {
	s.raw.Values = map[any]any{}
	s.set(keyUserID, userID)
	s.set(keyVersion, version)
	s.set(keyIssued, now.Unix())
	s.set(keySeen, now.Unix())
	s.set(keyCSRF, randomToken())
}

// clear signs the session out. The CSRF token stays: pages still open in the
// browser hold it, and their next request must reach the login redirect, not
// a "form expired" refusal. A new token is issued at login.
func (s *Session) clear() {
	token := s.stringValue(keyCSRF)
	s.raw.Values = map[any]any{}
	if token == "" {
		token = randomToken()
	}
	s.set(keyCSRF, token)
}

// maxFlashLen keeps the cookie small: a flash may carry upstream text.
const maxFlashLen = 600

// setFlash stores a one-time message for the next page.
func (s *Session) setFlash(msg string) {
	if len(msg) > maxFlashLen {
		msg = strings.ToValidUTF8(msg[:maxFlashLen], "") + "…"
	}
	s.set(keyFlash, msg)
}

// takeFlash returns and removes the flash message.
func (s *Session) takeFlash() string {
	msg := s.stringValue(keyFlash)
	if msg != "" {
		delete(s.raw.Values, keyFlash)
		s.dirty = true
	}
	return msg
}

// expired reports whether a signed-in session passed its idle or absolute
// timeout.
func (m *SessionManager) expired(s *Session) bool {
	now := m.now()
	issued := time.Unix(s.int64Value(keyIssued), 0)
	seen := time.Unix(s.int64Value(keySeen), 0)
	return now.Sub(issued) > m.max || now.Sub(seen) > m.idle
}

// touch moves the idle timestamp forward, at most once per seenResolution.
func (m *SessionManager) touch(s *Session) {
	now := m.now()
	if now.Sub(time.Unix(s.int64Value(keySeen), 0)) >= seenResolution {
		s.set(keySeen, now.Unix())
	}
}

// randomToken returns 32 random bytes, base64url encoded.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}
