package apiclient

import "context"

// RequestIDHeader carries the dashboard's request ID to Cloudflare with every
// attempt of a call, so that an analyst's "reference", the dashboard's log
// line and the upstream request can be matched. The contract documents no
// such header (section 10: an unknown request header is ignored, and the
// simulator records it); Cloudflare's own Ray ID comes back in Cf-Ray.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen bounds the request ID sent upstream.
const maxRequestIDLen = 64

type requestIDKey struct{}

// WithRequestID returns a context whose calls send id in X-Request-Id. An id
// that is not 1 to 64 characters of [A-Za-z0-9._-] is never sent, so a
// header line cannot be injected through it. It must not hold a secret.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request ID that calls under ctx send, "" when none.
func RequestID(ctx context.Context) string {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok && ValidRequestID(id) {
		return id
	}
	return ""
}

// ValidRequestID reports whether id may be used and sent as it is: 1 to 64
// characters of [A-Za-z0-9._-], so it can reach neither a header line nor a
// log line as anything but itself.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
