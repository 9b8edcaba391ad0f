package apiclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
)

// envelope is the Cloudflare v4 response wrapper (contract 7.1). The result is
// decoded in a second step so that the error fields are read whatever its shape.
type envelope struct {
	Success    *bool           `json:"success"`
	Errors     []ResponseInfo  `json:"errors"`
	Messages   []ResponseInfo  `json:"messages"`
	Result     json.RawMessage `json:"result"`
	ResultInfo *ResultInfo     `json:"result_info"`
}

// describeBody says what kind of non-JSON body arrived, without echoing it.
func describeBody(contentType string, data []byte) string {
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return "empty response body"
	case strings.Contains(contentType, "html") || bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")):
		return "html page instead of json (a proxy or gateway answered)"
	case json.Valid(data):
		return "unexpected json"
	}
	return "response body is not valid json (truncated or corrupt)"
}

// transportError strips the URL from a *url.Error: the URL holds no secret, but
// the error reads better without repeating the method and path.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// rayID returns the cf-ray header when it has the form of a Ray ID, else "".
// It is logged, stored with audit events and shown to operators, so nothing
// else may pass: Cloudflare's form is 16 hex digits, a dash and the data
// centre's IATA code ("8a1b2c3d4e5f6a7b-SJC"); 8 to 32 hex digits and a 3 or
// 4 letter code (or none) are accepted. A value that holds a piece of the
// credential (a hex global key would fit) is dropped as well.
func rayID(v string, redact *redactor) string {
	if !validRayID(v) || redact.String(v) != v {
		return ""
	}
	return v
}

// validRayID reports whether v is hex digits, optionally followed by a dash
// and upper-case letters, within the lengths rayID accepts.
func validRayID(v string) bool {
	hex, colo, dashed := strings.Cut(v, "-")
	if len(hex) < 8 || len(hex) > 32 || dashed && (len(colo) < 3 || len(colo) > 4) {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	for i := 0; i < len(colo); i++ {
		if c := colo[i]; c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
