package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"
)

// deviceMaxAge is how long a browser stays known after its last successful
// login.
const deviceMaxAge = 365 * 24 * time.Hour

// devicePath limits device cookies to the login form's route: no other
// request needs them.
const devicePath = "/login"

// deviceCookies reads and writes device cookies (OWASP "Slow Down Online
// Guessing Attacks with Device Cookies"). A successful login gives the
// browser one for that account; a later attempt that presents it is counted
// on its own (see loginlimit), so a stranger's wrong passwords never lock
// that browser out.
//
// Each account a browser logs in to gets its own cookie, named after a hash
// of the normalised email, rather than one cookie holding a list: the login
// reads exactly the cookie of the account typed, each cookie keeps its own
// age, and nothing has to be merged or trimmed. A shared workstation holds a
// few, well within what browsers keep per site.
//
// The cookie is encrypted and authenticated with the session keys (the first
// makes new cookies, all are accepted), so every replica sharing the keys
// accepts it. The cookie's name is part of what is authenticated, so one
// account's cookie renamed to another's does not decode. It holds the email,
// a random ID and the time it was made; no secret.
type deviceCookies struct {
	codecs []securecookie.Codec
	secure bool
	now    func() time.Time
}

// deviceToken is what a device cookie holds.
type deviceToken struct {
	Email  string `json:"e"` // normalised
	ID     string `json:"n"` // random, what the limiter counts
	Issued int64  `json:"t"` // Unix seconds, on the handler's clock
}

// newDeviceCookies builds the codecs from the session keys (already checked
// by NewSessionManager).
func newDeviceCookies(keys []KeyPair, secure bool, now func() time.Time) *deviceCookies {
	var pairs [][]byte
	for _, k := range keys {
		pairs = append(pairs, k.Hash, k.Block)
	}
	codecs := securecookie.CodecsFromPairs(pairs...)
	for _, c := range codecs {
		c.(*securecookie.SecureCookie).MaxAge(int(deviceMaxAge / time.Second)).SetSerializer(securecookie.JSONEncoder{})
	}
	return &deviceCookies{codecs: codecs, secure: secure, now: now}
}

// name returns the cookie name for an email. The hash keeps the email out of
// the name; it is not keyed, so the name alone confirms a guessed email to
// whoever can read the browser's cookies. __Secure- (not __Host-, which
// requires Path=/) keeps a plain-http page from setting it.
func (d *deviceCookies) name(email string) string {
	sum := sha256.Sum256([]byte(email))
	name := "dash_device_" + hex.EncodeToString(sum[:8])
	if d.secure {
		name = "__Secure-" + name
	}
	return name
}

// id returns the ID of the request's valid device cookie for email, or ""
// when it has none, or one that is forged, tampered with, made for another
// account or too old.
func (d *deviceCookies) id(r *http.Request, email string) string {
	if email == "" {
		return ""
	}
	name := d.name(email)
	ck, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	var t deviceToken
	if err := securecookie.DecodeMulti(name, ck.Value, &t, d.codecs...); err != nil {
		return ""
	}
	age := d.now().Sub(time.Unix(t.Issued, 0))
	if t.Email != email || t.ID == "" || age > deviceMaxAge || age < -time.Hour {
		return ""
	}
	return t.ID
}

// issue gives the browser a new device cookie for email, with a new ID: the
// old one's failures stay behind with it.
func (d *deviceCookies) issue(c echo.Context, email string) error {
	name := d.name(email)
	value, err := securecookie.EncodeMulti(name, deviceToken{Email: email, ID: randomToken()[:22], Issued: d.now().Unix()}, d.codecs...)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name:     name,
		Value:    value,
		Path:     devicePath,
		MaxAge:   int(deviceMaxAge / time.Second),
		HttpOnly: true,
		Secure:   d.secure,
		SameSite: http.SameSiteStrictMode, // only our own login form posts it
	})
	return nil
}
