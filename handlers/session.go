package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

// sessionData is everything the session cookie holds: IDs, timestamps, the
// CSRF token and a one-time message, never a secret from Cloudflare and never
// a password. It is a fixed struct encoded as JSON inside securecookie's
// encryption and MAC, and decoding it can only ever produce these fields.
// The whole cookie (MAC, decryption, JSON) decodes in about 10 µs; gob, the
// gorilla/sessions default, built a decoder for a map of interfaces per
// cookie and took six times as long, a tenth of every poll.
type sessionData struct {
	UserID  int64  `json:"uid,omitempty"`
	Version int64  `json:"ver,omitempty"`  // the user's session version at login
	Issued  int64  `json:"iat,omitempty"`  // Unix seconds, for the absolute timeout
	Seen    int64  `json:"seen,omitempty"` // Unix seconds, for the idle timeout
	CSRF    string `json:"csrf,omitempty"`
	Flash   string `json:"flash,omitempty"`
}

// seenResolution is how stale the idle timestamp may get before the cookie is
// rewritten; it spares a Set-Cookie on every poll.
const seenResolution = time.Minute

// SessionManager reads and writes the encrypted session cookie through a
// gorilla/sessions CookieStore whose codecs serialise the fixed sessionData
// struct as JSON (sessionSerializer), and makes the device cookies with the
// same keys.
type SessionManager struct {
	store   *sessions.CookieStore
	legacy  []securecookie.Codec // gob, for cookies made before the JSON change
	devices *deviceCookies
	name    string
	secure  bool
	idle    time.Duration
	max     time.Duration
	now     func() time.Time
}

// KeyPair is one session key pair, newest first in NewSessionManager.
type KeyPair struct{ Hash, Block []byte }

// NewSessionManager builds the cookie store. Every cookie attribute is set
// explicitly in save. Cookies made with any of keys are accepted; new ones
// use keys[0]. The same keys make the device cookies (device.go).
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
	// The codecs reject cookies older than the absolute timeout.
	store := sessions.NewCookieStore(pairs...)
	for _, c := range store.Codecs {
		c.(*securecookie.SecureCookie).MaxAge(int(max / time.Second)).SetSerializer(sessionSerializer{})
	}
	legacy := securecookie.CodecsFromPairs(pairs...)
	for _, c := range legacy {
		c.(*securecookie.SecureCookie).MaxAge(int(max / time.Second))
	}
	name := "dash_session"
	if secure {
		name = "__Host-dash_session" // __Host-: Secure, Path=/, no Domain
	}
	if now == nil {
		now = time.Now
	}
	return &SessionManager{store: store, legacy: legacy, devices: newDeviceCookies(keys, secure, now),
		name: name, secure: secure, idle: idle, max: max, now: now}, nil
}

// dataKey is the one key of a gorilla session's Values: the whole sessionData.
const dataKey = "d"

// sessionSerializer is the session codecs' securecookie.Serializer.
// gorilla/sessions hands it the session's Values; it writes only the fixed
// sessionData struct, as JSON, and reads only those fields back: no gob, and
// no type a cookie could make the decoder build.
type sessionSerializer struct{}

// Serialize encodes the sessionData held in a session's Values.
func (sessionSerializer) Serialize(src any) ([]byte, error) {
	values, ok := src.(map[any]any)
	if !ok {
		return nil, errors.New("session: values are not a session's map")
	}
	d, _ := values[dataKey].(sessionData)
	return json.Marshal(d)
}

// Deserialize decodes a sessionData into a session's Values.
func (sessionSerializer) Deserialize(src []byte, dst any) error {
	values, ok := dst.(*map[any]any)
	if !ok {
		return errors.New("session: destination is not a session's map")
	}
	var d sessionData
	if err := json.Unmarshal(src, &d); err != nil {
		return err
	}
	if *values == nil {
		*values = map[any]any{}
	}
	(*values)[dataKey] = d
	return nil
}

// CookieName returns the session cookie's name.
func (m *SessionManager) CookieName() string { return m.name }

// Session is one request's session.
type Session struct {
	data  sessionData
	dirty bool
}

// load returns the request's session. A cookie that cannot be decoded (an old
// key, tampering, expiry) yields a fresh, empty session: the user simply logs in
// again.
func (m *SessionManager) load(r *http.Request) *Session {
	ck, err := r.Cookie(m.name)
	if err != nil {
		return &Session{}
	}
	if gs, err := m.store.New(r, m.name); err == nil && !gs.IsNew {
		d, _ := gs.Values[dataKey].(sessionData)
		return &Session{data: d}
	}
	if d, ok := m.decodeLegacy(ck.Value); ok {
		return &Session{data: d, dirty: true} // rewritten as JSON on this answer
	}
	return &Session{dirty: true}
}

// decodeLegacy reads a cookie made by gorilla/sessions' gob encoding before
// the change to JSON, so a deploy logs nobody out. Only a cookie whose MAC
// verifies with our keys reaches gob. Such cookies stop decoding once they
// are older than the absolute timeout (the codecs' MaxAge), so one SessionMax
// after the deploy this fallback accepts nothing and can be removed.
func (m *SessionManager) decodeLegacy(value string) (sessionData, bool) {
	values := map[any]any{}
	if err := securecookie.DecodeMulti(m.name, value, &values, m.legacy...); err != nil {
		return sessionData{}, false
	}
	i := func(k string) int64 { v, _ := values[k].(int64); return v }
	s := func(k string) string { v, _ := values[k].(string); return v }
	return sessionData{UserID: i("uid"), Version: i("ver"), Issued: i("iat"), Seen: i("seen"),
		CSRF: s("csrf"), Flash: s("flash")}, true
}

// save writes the cookie when something changed: a browser-session cookie
// (no Max-Age; the timeouts are enforced inside), HttpOnly, SameSite=Lax,
// Path=/, Secure behind https.
func (m *SessionManager) save(c echo.Context, s *Session) error {
	if !s.dirty {
		return nil
	}
	s.dirty = false
	gs := sessions.NewSession(m.store, m.name)
	gs.Values[dataKey] = s.data
	// gorilla/sessions v1.4.0 defaults to SameSite=None and no HttpOnly:
	// every attribute is set here. MaxAge 0 makes a browser-session cookie.
	gs.Options = &sessions.Options{Path: "/", HttpOnly: true, Secure: m.secure, SameSite: http.SameSiteLaxMode}
	return m.store.Save(c.Request(), c.Response(), gs)
}

// userID returns the signed-in user's ID, or 0.
func (s *Session) userID() int64 { return s.data.UserID }

// version returns the session version copied at login.
func (s *Session) version() int64 { return s.data.Version }

// csrf returns the synchronizer token, or "".
func (s *Session) csrf() string { return s.data.CSRF }

// CSRFToken returns the session's synchronizer token, creating it if needed.
func (s *Session) CSRFToken() string {
	if s.data.CSRF == "" {
		s.data.CSRF = randomToken()
		s.dirty = true
	}
	return s.data.CSRF
}

// login replaces everything in the session: a new token and fresh timestamps,
// so a cookie planted before login is worth nothing after it.
func (s *Session) login(userID, version int64, now time.Time) {
	s.data = sessionData{UserID: userID, Version: version, Issued: now.Unix(), Seen: now.Unix(), CSRF: randomToken()}
	s.dirty = true
}

// clear signs the session out. The CSRF token stays: pages still open in the
// browser hold it, and their next request must reach the login redirect, not
// a "form expired" refusal. A new token is issued at login.
func (s *Session) clear() {
	token := s.data.CSRF
	if token == "" {
		token = randomToken()
	}
	s.data = sessionData{CSRF: token}
	s.dirty = true
}

// maxFlashLen keeps the cookie small: a flash may carry upstream text.
const maxFlashLen = 600

// setFlash stores a one-time message for the next page.
func (s *Session) setFlash(msg string) {
	if len(msg) > maxFlashLen {
		msg = strings.ToValidUTF8(msg[:maxFlashLen], "") + "…"
	}
	s.data.Flash = msg
	s.dirty = true
}

// takeFlash returns and removes the flash message.
func (s *Session) takeFlash() string {
	msg := s.data.Flash
	if msg != "" {
		s.data.Flash = ""
		s.dirty = true
	}
	return msg
}

// expired reports whether a signed-in session passed its idle or absolute
// timeout.
func (m *SessionManager) expired(s *Session) bool {
	now := m.now()
	issued := time.Unix(s.data.Issued, 0)
	seen := time.Unix(s.data.Seen, 0)
	return now.Sub(issued) > m.max || now.Sub(seen) > m.idle
}

// touch moves the idle timestamp forward, at most once per seenResolution.
func (m *SessionManager) touch(s *Session) {
	now := m.now()
	if now.Sub(time.Unix(s.data.Seen, 0)) >= seenResolution {
		s.data.Seen = now.Unix()
		s.dirty = true
	}
}

// randomToken returns 32 random bytes, base64url encoded.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}
