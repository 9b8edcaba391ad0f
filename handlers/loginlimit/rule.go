package loginlimit

import "time"

// The rule Memory and Shared share. A key is over its limit when its
// failures within the window reach the limit, or when it has at least one
// failure and its failures plus its checks in progress reach it. Checks in
// progress count only once a key has failed: until then nothing suggests
// guessing, and correct logins that arrive together (a team behind one
// proxy at the start of an incident) must never be refused. So guesses can
// pass a limit only by as many as there are password-hashing slots (per
// process, for Shared), all started before the first of them failed.

// inFlightWait is the wait given when only checks in progress reach a limit:
// they end within moments.
const inFlightWait = time.Second

// decide returns the verdict for a and the keys it is counted against: its
// device cookie's alone while that is within its limit, else the account's
// and the address's. wait says how long a key must wait at its limit.
func decide(o Options, a Attempt, wait func(key string, limit int) time.Duration) (Verdict, []string) {
	if a.Device != "" {
		dk := DeviceKey(a.Device)
		if wait(dk, o.PerDevice) == 0 {
			return Verdict{Trusted: true}, []string{dk}
		}
	}
	ek, ak := AccountKey(a.Email), AddrKey(a.Addr)
	return Verdict{Wait: max(wait(ek, o.PerAccount), wait(ak, o.PerAddr))}, []string{ek, ak}
}

// waitFor is how long a key with fails (within the window, oldest first)
// and inflight checks in progress must wait at limit; 0 when it may try.
func waitFor(fails []time.Time, inflight, limit int, now time.Time, window time.Duration) time.Duration {
	switch {
	case len(fails) == 0:
		return 0
	case len(fails) >= limit:
		return fails[len(fails)-limit].Add(window).Sub(now)
	case len(fails)+inflight >= limit:
		return inFlightWait
	}
	return 0
}
