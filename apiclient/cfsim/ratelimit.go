package cfsim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// bucket is one principal's rate-limit state (contract 7.5, Q16).
//
// The simulator uses a fixed window that opens with the principal's first
// request: Config.RateLimit requests are allowed per Config.RateWindow. The
// request after the last allowed one is refused with 429 and blocks the
// principal for Config.RateBlock; requests during the block are refused and
// count nothing. When the block ends a fresh window opens.
type bucket struct {
	windowStart  time.Time
	count        int
	blockedUntil time.Time
}

// limitResult is the outcome of one rate-limit check.
type limitResult struct {
	header  http.Header // Ratelimit and Ratelimit-Policy, for every answer
	blocked *reply      // set when the request is refused
}

// takeToken counts one request of the named principal at now. The caller
// holds s.mu.
func (s *Server) takeToken(name string, now time.Time) limitResult {
	if s.cfg.RateLimit < 0 {
		return limitResult{}
	}
	b := s.limits[name]
	if b == nil {
		b = &bucket{windowStart: now}
		s.limits[name] = b
	}
	policy := fmt.Sprintf(`"default";q=%d;w=%d`, s.cfg.RateLimit, ceilSeconds(s.cfg.RateWindow))
	if now.Before(b.blockedUntil) {
		return s.refuse(b, now, policy)
	}
	if !b.blockedUntil.IsZero() || !now.Before(b.windowStart.Add(s.cfg.RateWindow)) {
		*b = bucket{windowStart: now}
	}
	if b.count >= s.cfg.RateLimit {
		b.blockedUntil = now.Add(s.cfg.RateBlock)
		return s.refuse(b, now, policy)
	}
	b.count++
	h := http.Header{}
	h.Set("Ratelimit", fmt.Sprintf(`"default";r=%d;t=%d`,
		s.cfg.RateLimit-b.count, ceilSeconds(b.windowStart.Add(s.cfg.RateWindow).Sub(now))))
	h.Set("Ratelimit-Policy", policy)
	return limitResult{header: h}
}

// refuse builds the 429 answer for a blocked principal.
func (s *Server) refuse(b *bucket, now time.Time, policy string) limitResult {
	secs := max(ceilSeconds(b.blockedUntil.Sub(now)), 1)
	h := http.Header{}
	h.Set("Ratelimit", fmt.Sprintf(`"default";r=0;t=%d`, secs))
	h.Set("Ratelimit-Policy", policy)
	h.Set("Retry-After", strconv.Itoa(secs))
	rep := errReply(http.StatusTooManyRequests, codeRateLimited,
		"Please wait and consider throttling your request speed", "")
	rep.header = h
	return limitResult{header: h, blocked: &rep}
}

// ceilSeconds rounds d up to whole seconds (never below 0).
func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}
