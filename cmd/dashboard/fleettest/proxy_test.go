package fleettest_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// pinHeader sends a request to one replica: "1" is r1. The proxy removes it.
const pinHeader = "X-Fleet-Replica"

// proxy is the load balancer in front of the fleet: round robin over the
// replicas it believes alive, no stickiness. Like a real load balancer it
// tries the next replica once when one refuses the connection, and then
// leaves that one out; it also tries again once a GET that failed in
// flight. A pinned request goes to its replica or fails.
type proxy struct {
	url     string
	rp      *httputil.ReverseProxy
	tr      *http.Transport
	retries atomic.Int64 // requests sent a second time to another replica
	failed  atomic.Int64 // requests answered 502: no replica answered

	mu     sync.Mutex
	hosts  []string
	down   []bool
	served []int // answers per replica
	next   int
}

func newProxy(t *testing.T) *proxy {
	t.Helper()
	p := &proxy{tr: &http.Transport{MaxIdleConnsPerHost: 32}}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", "replica" // the Transport picks the replica
			pr.Out.Host = pr.In.Host                               // the public host, as a load balancer keeps it
			pr.SetXForwarded()
		},
		Transport: p,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.failed.Add(1)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	srv := httptest.NewServer(p.rp)
	t.Cleanup(srv.Close)
	t.Cleanup(p.tr.CloseIdleConnections)
	p.url = srv.URL
	return p
}

func (p *proxy) setBackends(hosts []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hosts, p.down, p.served = hosts, make([]bool, len(hosts)), make([]int, len(hosts))
}

// pick returns the replica for a request and its address: the pinned one,
// or the next one alive other than skip (-1: none to skip).
func (p *proxy) pick(pin string, skip int) (int, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pin != "" {
		n, err := strconv.Atoi(pin)
		if err != nil || n < 1 || n > len(p.hosts) {
			return 0, "", fmt.Errorf("no replica %q", pin)
		}
		return n - 1, p.hosts[n-1], nil
	}
	for range p.hosts {
		i := p.next % len(p.hosts)
		p.next++
		if !p.down[i] && i != skip {
			return i, p.hosts[i], nil
		}
	}
	return 0, "", errors.New("no replica alive")
}

// RoundTrip sends the request to a replica, and once more to another one
// when the first refused the connection (nothing reached it) or a GET
// failed.
func (p *proxy) RoundTrip(req *http.Request) (*http.Response, error) {
	pin := req.Header.Get(pinHeader)
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	skip := -1
	for attempt := 0; ; attempt++ {
		i, host, err := p.pick(pin, skip)
		if err != nil {
			return nil, err
		}
		out := req.Clone(req.Context())
		out.Header.Del(pinHeader)
		out.URL.Host = host
		out.Body, out.ContentLength = http.NoBody, int64(len(body))
		if len(body) > 0 {
			out.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := p.tr.RoundTrip(out)
		if err == nil {
			p.mu.Lock()
			p.served[i]++
			p.mu.Unlock()
			return resp, nil
		}
		var op *net.OpError
		refused := errors.As(err, &op) && op.Op == "dial"
		if pin != "" || attempt == 1 || !(refused || req.Method == http.MethodGet) {
			return nil, err
		}
		p.mu.Lock()
		p.down[i] = true
		p.mu.Unlock()
		p.retries.Add(1)
		skip = i
	}
}

// servedBy returns how many answers each replica gave so far.
func (p *proxy) servedBy() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.served...)
}
