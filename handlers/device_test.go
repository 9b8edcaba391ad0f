package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"
)

func TestDeviceCookieBindsAccountAndAge(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	key := KeyPair{Hash: make([]byte, 32), Block: make([]byte, 32)}
	for i := range key.Hash {
		key.Hash[i], key.Block[i] = byte(i), byte(i+100)
	}
	d := newDeviceCookies([]KeyPair{key}, false, func() time.Time { return now })
	const email, other = "responder@test.example", "viewer@test.example"

	rec := httptest.NewRecorder()
	if err := d.issue(echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/login", nil), rec), email); err != nil {
		t.Fatal(err)
	}
	issued := rec.Result().Cookies()[0]
	request := func(ck *http.Cookie) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/login", nil)
		r.AddCookie(ck)
		return r
	}
	if d.id(request(issued), email) == "" {
		t.Fatal("a fresh device cookie is not valid")
	}
	if d.id(request(issued), other) != "" {
		t.Error("one account's device cookie is valid for another")
	}
	// Signed with the right key under the account's name, but made for
	// another account: refused on what it holds.
	forged, err := securecookie.EncodeMulti(d.name(email), deviceToken{Email: other, ID: "x", Issued: now.Unix()}, d.codecs...)
	if err != nil {
		t.Fatal(err)
	}
	if d.id(request(&http.Cookie{Name: d.name(email), Value: forged}), email) != "" {
		t.Error("a device cookie holding another account is valid")
	}
	// Older than a year on the handler's clock: no longer known.
	now = now.Add(deviceMaxAge + time.Minute)
	if d.id(request(issued), email) != "" {
		t.Error("a device cookie older than a year is valid")
	}
}
