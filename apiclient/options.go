package apiclient

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Option configures a Client.
type Option func(*Client) error

// WithBaseURL sets the API root, such as "http://127.0.0.1:8787/client/v4". The
// host is fixed here by configuration; request paths only ever append to it.
func WithBaseURL(raw string) Option {
	return func(c *Client) error {
		u, err := url.Parse(strings.TrimRight(raw, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("apiclient: base url %q must be an absolute http or https url without credentials, query or fragment", raw)
		}
		c.base = u
		return nil
	}
}

// WithHTTPClient uses hc for requests. The client is copied and its redirect
// policy replaced: following a redirect would forward the credential.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("apiclient: nil http client")
		}
		cp := *hc
		c.http = &cp
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) error { c.userAgent = ua; return nil }
}

// WithRetries sets how many times a failed GET is retried (POST and DELETE are
// never retried) and the first backoff delay, which doubles per attempt.
func WithRetries(n int, backoff time.Duration) Option {
	return func(c *Client) error {
		if n < 0 || backoff < 0 {
			return errors.New("apiclient: retries and backoff must not be negative")
		}
		c.maxRetries, c.backoff = n, backoff
		return nil
	}
}

// WithMaxBodySize limits how many bytes of a response body are read.
func WithMaxBodySize(n int64) Option {
	return func(c *Client) error {
		if n <= 0 {
			return errors.New("apiclient: max body size must be positive")
		}
		c.maxBodySize = n
		return nil
	}
}
