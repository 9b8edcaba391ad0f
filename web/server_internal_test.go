package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestIPExtractorTrustsOnlyConfiguredProxies(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		xff     string
		want    string
	}{
		{"no proxies configured: the peer, whatever the header says", nil, "198.51.100.7:5555", "203.0.113.9", "198.51.100.7"},
		{"loopback peer is not trusted by default", nil, "127.0.0.1:5555", "203.0.113.9", "127.0.0.1"},
		{"trusted proxy: the client it names", trusted, "10.1.2.3:5555", "203.0.113.9", "203.0.113.9"},
		{"chain through trusted proxies: the first untrusted from the right", trusted, "10.1.2.3:5555", "192.0.2.1, 203.0.113.9, 10.0.0.5", "203.0.113.9"},
		{"untrusted peer claiming a header: the peer", trusted, "198.51.100.7:5555", "203.0.113.9", "198.51.100.7"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tt.peer
		req.Header.Set("X-Forwarded-For", tt.xff)
		req.Header.Set("X-Real-IP", "192.0.2.99")
		if got := ipExtractor(tt.trusted)(req); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}
