package cfsim

import "net/http"

// Error codes the simulator sends. Codes marked "sim" are simulator choices
// from contract section 10; the others were observed (contract 7.4, 7.5).
const (
	codeBadRequest     = 1400  // sim: invalid input (Q4, Q5, Q11, Q15, Q17)
	codeNotFound       = 1404  // sim: unknown or deleted job (Q3)
	codeConflict       = 1409  // sim: state does not allow the action (Q1, Q2)
	codeTooLarge       = 1413  // sim: request body over 1 MiB
	codeRateLimited    = 971   // observed: rate limit (7.5)
	codeBadHeaders     = 6003  // observed: invalid request headers (7.4)
	codeBadAuthFormat  = 6111  // observed: Authorization header format
	codeBadEmailFormat = 6102  // observed: X-Auth-Email header format
	codeBadKeyFormat   = 6103  // observed: X-Auth-Key header format
	codeInvalidToken   = 9109  // observed: invalid token (Q13)
	codeAuthError      = 10000 // observed: no permission (Q13, Q15)
	codeMethodNotAllow = 7001  // sim: wrong method on a known path
	codeRouteNotFound  = 7003  // observed on other endpoints: unknown route
)

// reply is a response not yet written: handlers return one so that the
// pipeline can add headers, or an After fault can replace it.
type reply struct {
	status int
	env    envelope
	header http.Header
}

// okReply wraps a result in a success envelope.
func okReply(status int, result any, info *resultInfo) reply {
	return reply{status: status, env: envelope{
		Success: true, Errors: []apiError{}, Messages: []apiError{}, Result: result, ResultInfo: info,
	}}
}

// errReply builds an error envelope with one error; pointer may be empty.
func errReply(status, code int, msg, pointer string) reply {
	e := apiError{Code: code, Message: msg}
	if pointer != "" {
		e.Source = &errorSource{Pointer: pointer}
	}
	return errorsReply(status, e)
}

// errorsReply builds an error envelope: result is null and there is no
// result_info.
func errorsReply(status int, errs ...apiError) reply {
	return reply{status: status, env: envelope{
		Success: false, Errors: errs, Messages: []apiError{}, Result: nil,
	}}
}

// badRequest is a 400 with code 1400 pointing at the offending input.
func badRequest(pointer, msg string) reply {
	return errReply(http.StatusBadRequest, codeBadRequest, msg, pointer)
}

// jobNotFound is the Q3 answer for an unknown or deleted job.
func jobNotFound() reply {
	return errReply(http.StatusNotFound, codeNotFound, "bulk job not found", "/job_id")
}

// setHeader adds a header to rep.
func (rep *reply) setHeader(k, v string) {
	if rep.header == nil {
		rep.header = http.Header{}
	}
	rep.header.Set(k, v)
}
