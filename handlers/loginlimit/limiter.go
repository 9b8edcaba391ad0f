// Package loginlimit slows down password guessing without letting a stranger
// lock a responder out, after OWASP's "Slow Down Online Guessing Attacks with
// Device Cookies".
//
// A browser that has logged in to an account before holds a device cookie for
// it (the handlers sign and check it; this package only sees its ID). Such an
// attempt is trusted: it is counted against its device cookie only, so wrong
// passwords typed anywhere else never lock it out. Every other attempt is
// untrusted and counted against the account and against the client address.
// A device cookie over its own limit counts as untrusted.
//
// Only failures count. An attempt in flight is not a failure and a success
// records nothing, so concurrent correct logins never lock anyone out.
package loginlimit

import (
	"context"
	"net/netip"
	"strings"
	"time"
)

// Limiter decides whether a login attempt may check its password and
// remembers the failures.
//
// Callers run Check before waiting for a password-hashing slot (a refused
// attempt should not wait), then Start once they hold the slot, right before
// the hash is verified, and call the function Start returned with the
// outcome. Start counts the checks in progress, so guesses that waited for a
// slot together cannot all get through; see Memory for the exact rule.
//
// Memory keeps everything in this process. Shared keeps the failures where
// every replica reads them (PostgreSQL, through a FailureStore), keyed by
// AccountKey, AddrKey and DeviceKey, and counts them within the window; the
// checks in progress stay counted per process, where a crash cannot leave
// them behind.
//
// An error means the limits could not be read (the database did not
// answer): the caller refuses the attempt with a sentence saying so, since
// an unchecked limit would let guesses through.
type Limiter interface {
	// Check reports whether a may go ahead. It records nothing.
	Check(ctx context.Context, a Attempt) (Verdict, error)
	// Start checks a again, counting the checks in progress, and when it is
	// allowed marks one more check in progress. done is nil when it is
	// refused or err is set; otherwise it must be called exactly once, with
	// failed true only when the password check failed.
	Start(ctx context.Context, a Attempt) (v Verdict, done func(failed bool), err error)
}

// Attempt is one login attempt.
type Attempt struct {
	Email string // as typed; normalised here
	Addr  string // the client address (c.RealIP())
	// Device is the ID inside a valid device cookie for this Email, or "".
	// The caller checks the signature and the account; a forged, tampered
	// or other account's cookie must arrive here as "".
	Device string
}

// Verdict is the answer to an attempt.
type Verdict struct {
	// Wait is how long the client must wait; 0 means it may go ahead.
	Wait time.Duration
	// Trusted is true when the attempt is counted against its device cookie
	// only. It is false without a device cookie and when the device cookie
	// is over its own limit.
	Trusted bool
}

// Options configure a limiter. Zero fields take the defaults.
type Options struct {
	Window     time.Duration    // how long a failure counts; 15 minutes
	PerAccount int              // failures per account from untrusted clients; 5
	PerAddr    int              // failures per client address from untrusted clients; 50
	PerDevice  int              // failures per device cookie; 5
	Now        func() time.Time // the clock; time.Now
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	if o.Window <= 0 {
		o.Window = 15 * time.Minute
	}
	if o.PerAccount <= 0 {
		o.PerAccount = 5
	}
	if o.PerAddr <= 0 {
		o.PerAddr = 50
	}
	if o.PerDevice <= 0 {
		o.PerDevice = 5
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// AccountKey normalises an email for counting and bounds its size.
func AccountKey(email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(email) > 320 {
		email = email[:320]
	}
	return "e:" + email
}

// AddrKey counts IPv6 clients per /64, the block one subscriber usually holds.
func AddrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		if len(addr) > 64 {
			addr = addr[:64]
		}
		return "a:" + addr
	}
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return "a:" + p.String()
	}
	return "a:" + a.Unmap().String()
}

// DeviceKey is the key of a device cookie's ID, bounded in size.
func DeviceKey(id string) string {
	if len(id) > 64 {
		id = id[:64]
	}
	return "d:" + id
}
