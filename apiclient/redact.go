package apiclient

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// minLeak is the length of the shortest piece of a secret that is removed
// from upstream text. A hostile or broken upstream may echo the token whole,
// cut, or with a character changed; any run of minLeak bytes or more taken
// from a secret is treated as the secret. Shorter runs are too likely to occur
// by chance in ordinary text ("-token-" is seven bytes).
const minLeak = 8

// redactedText replaces each removed piece.
const redactedText = "[redacted]"

// redactor removes a credential's secrets (API token and global API key) from
// text that came from upstream. It is built once per request: it indexes
// every minLeak-byte window of the secrets, so a scan looks at each window of
// the text once (a bit filter first, the map only when the bit is set), and a
// hit is then extended as far as it still matches.
type redactor struct {
	secrets []string
	grams   map[uint64]struct{} // every window of the secrets
	filter  [filterBits / 64]uint64
	whole   []string // secrets shorter than minLeak, removed only whole
}

// The window filter has 1<<filterLog bits: with a 40-byte token, fewer than
// 1% of the windows of ordinary text reach the map.
const (
	filterLog  = 12
	filterBits = 1 << filterLog
)

// filterBit is the filter's bit for window w (a multiplicative hash).
func filterBit(w uint64) uint64 { return (w * 0x9e3779b97f4a7c15) >> (64 - filterLog) }

// newRedactor indexes c's secrets. The email of a global key is not secret.
func newRedactor(c Credential) *redactor {
	r := &redactor{}
	for _, s := range []string{c.APIToken, c.APIKey} {
		switch {
		case len(s) >= minLeak:
			if r.grams == nil {
				r.grams = make(map[uint64]struct{}, len(c.APIToken)+len(c.APIKey))
			}
			for p := 0; p+minLeak <= len(s); p++ {
				k := window(s, p)
				r.grams[k] = struct{}{}
				bit := filterBit(k)
				r.filter[bit/64] |= 1 << (bit % 64)
			}
			r.secrets = append(r.secrets, s)
		case len(s) >= 4:
			r.whole = append(r.whole, s)
		}
	}
	return r
}

// window reads the minLeak bytes of s at i as a map key. It and the rolling
// update in String are written for minLeak == 8.
func window(s string, i int) uint64 {
	_ = s[i+minLeak-1] // one bounds check
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// String returns s with every piece of minLeak bytes or more of a secret
// replaced by "[redacted]". Overlapping and adjacent pieces become one, and a
// piece is widened to whole UTF-8 characters, so the result stays valid text.
func (r *redactor) String(s string) string {
	if r == nil || len(s) < 4 {
		return s
	}
	for _, w := range r.whole {
		s = strings.ReplaceAll(s, w, redactedText)
	}
	if len(r.grams) == 0 || len(s) < minLeak {
		return s
	}
	var b strings.Builder
	// s[:copied] is written; [start, end) is the piece being collected.
	copied, start, end, wrote := 0, -1, -1, false
	flush := func() {
		for start > 0 && !utf8.RuneStart(s[start]) {
			start--
		}
		for end < len(s) && !utf8.RuneStart(s[end]) {
			end++
		}
		// Widening to whole characters may reach the piece written last:
		// then the two are one piece and its marker is already written.
		if !wrote || start > copied {
			b.WriteString(s[copied:start])
			b.WriteString(redactedText)
			wrote = true
		}
		copied = max(copied, end)
	}
	w := window(s, 0)
	for i := 0; i+minLeak <= len(s); i++ {
		if i > 0 {
			w = w>>8 | uint64(s[i+minLeak-1])<<56 // window(s, i), rolled on by one byte
		}
		if bit := filterBit(w); r.filter[bit/64]&(1<<(bit%64)) == 0 {
			continue
		}
		if _, ok := r.grams[w]; !ok {
			continue
		}
		e := i + r.longest(s, i)
		switch {
		case start < 0:
			b.Grow(len(s))
			start, end = i, e
		case i <= end: // overlaps or touches the piece being collected
			end = max(end, e)
		default:
			flush()
			start, end = i, e
		}
	}
	if start < 0 {
		return s
	}
	flush()
	b.WriteString(s[copied:])
	return b.String()
}

// longest returns the length of the longest run of s from i that occurs in a
// secret; s[i:i+minLeak] is known to occur in one.
func (r *redactor) longest(s string, i int) int {
	best, w := minLeak, s[i:i+minLeak]
	for _, sec := range r.secrets {
		for off := 0; ; {
			p := strings.Index(sec[off:], w)
			if p < 0 {
				break
			}
			p += off
			n := minLeak
			for i+n < len(s) && p+n < len(sec) && s[i+n] == sec[p+n] {
				n++
			}
			best, off = max(best, n), p+1
		}
	}
	return best
}

// info removes the secrets from one of Cloudflare's errors or messages and
// from its error_chain.
func (r *redactor) info(ri *ResponseInfo) {
	ri.Message = r.String(ri.Message)
	ri.DocumentationURL = r.String(ri.DocumentationURL)
	if ri.Source != nil {
		ri.Source.Pointer = r.String(ri.Source.Pointer)
	}
	for i := range ri.ErrorChain {
		r.info(&ri.ErrorChain[i])
	}
}

// job removes the secrets from every text field of a job.
func (r *redactor) job(j *Job) {
	j.ID = r.String(j.ID)
	j.ActionType = ActionType(r.String(string(j.ActionType)))
	j.ActionParams.Type = ActionType(r.String(string(j.ActionParams.Type)))
	j.ActionParams.Destination = Destination(r.String(string(j.ActionParams.Destination)))
	j.ActionParams.ExpectedDisposition = Disposition(r.String(string(j.ActionParams.ExpectedDisposition)))
	r.search(&j.SearchParams)
	j.Status = JobStatus(r.String(string(j.Status)))
	j.Comment = r.String(j.Comment)
	j.StatusMessage = r.String(j.StatusMessage)
}

// search removes the secrets from a job's search parameters.
func (r *redactor) search(p *SearchParams) {
	for _, f := range []*string{&p.AlertID, &p.Domain, &p.ExactSubject, &p.Subject, &p.MessageID,
		&p.Metric, &p.Query, &p.Recipient, &p.Sender} {
		*f = r.String(*f)
	}
	p.DeliveryStatus = DeliveryStatus(r.String(string(p.DeliveryStatus)))
	p.FinalDisposition = Disposition(r.String(string(p.FinalDisposition)))
	p.MessageAction = MessageAction(r.String(string(p.MessageAction)))
}

// message removes the secrets from every text field of a message row.
func (r *redactor) message(m *Message) {
	for _, f := range []*string{&m.ID, &m.PostfixID, &m.AlertID, &m.EmailMessageID, &m.StatusMessage,
		&m.ActionParams.ClientRecipient} {
		*f = r.String(*f)
	}
	m.ActionType = ActionType(r.String(string(m.ActionType)))
	m.Status = JobStatus(r.String(string(m.Status)))
	m.ActionParams.Type = ActionType(r.String(string(m.ActionParams.Type)))
	m.ActionParams.Destination = Destination(r.String(string(m.ActionParams.Destination)))
	m.ActionParams.ExpectedDisposition = Disposition(r.String(string(m.ActionParams.ExpectedDisposition)))
}

// resultInfo removes the secrets from the paging cursors.
func (r *redactor) resultInfo(ri *ResultInfo) {
	for _, p := range []*string{ri.Next, ri.Previous} {
		if p != nil {
			*p = r.String(*p)
		}
	}
}

// result removes the secrets from a decoded result. Every result type the
// client decodes is listed here; DeleteJob's {id} is only compared, never
// returned.
func (r *redactor) result(out any) {
	switch v := out.(type) {
	case *Job:
		r.job(v)
	case *[]Job:
		for i := range *v {
			r.job(&(*v)[i])
		}
	case *[]Message:
		for i := range *v {
			r.message(&(*v)[i])
		}
	}
}

// err returns err unchanged when its text holds no secret, else an error with
// the text redacted. The original is not kept (its text still holds the
// secret); the classes callers test for are: timeouts, cancellation, EOF.
func (r *redactor) err(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := r.String(msg)
	if clean == msg {
		return err
	}
	e := &redactedError{msg: clean}
	for _, target := range []error{context.Canceled, context.DeadlineExceeded, os.ErrDeadlineExceeded, io.EOF, io.ErrUnexpectedEOF} {
		if errors.Is(err, target) {
			e.is = append(e.is, target)
		}
	}
	var t interface{ Timeout() bool }
	e.timeout = errors.As(err, &t) && t.Timeout()
	return e
}

// redactedError is an upstream error whose text had a secret removed.
type redactedError struct {
	msg     string
	is      []error
	timeout bool
}

func (e *redactedError) Error() string   { return e.msg }
func (e *redactedError) Unwrap() []error { return e.is }

// Timeout reports whether the original error was a timeout.
func (e *redactedError) Timeout() bool { return e.timeout }
