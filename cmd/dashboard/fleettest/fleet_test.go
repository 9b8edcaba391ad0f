package fleettest_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/cfsim"
)

const password = "fleet test passphrase"

// TestFleet runs three dashboards on one PostgreSQL behind a round-robin
// proxy. A session begun on one replica works on the others and survives
// the death of the one it began on; a logout on one replica ends the
// session on another within about a second; two responders cancelling one
// job on two replicas at once send Cloudflare one POST. The upstream-calls
// scenario, which takes minutes, is TestFleetUpstreamCalls.
func TestFleet(t *testing.T) {
	const ana, ben, cleo = "ana@fleet.example", "ben@fleet.example", "cleo@fleet.example"
	s := newSim(t, ana, ben, cleo)
	f := startFleet(t, 3, s)
	for _, email := range []string{ana, ben, cleo} {
		f.addUser(t, email, password)
	}

	t.Run("session across replicas", func(t *testing.T) {
		b := newBrowser(f.proxy.url)
		b.login(t, ana, password, 1)
		b.addCredential(t, s.tokens[ana], 1)

		job := s.jobs[0]
		_, page := b.must(t, http.MethodGet, jobPath(job), 2, nil, nil)
		csrf := csrfOf(t, page)
		resp, body := b.must(t, http.MethodGet, jobPath(job)+"/card", 2, nil, b.htmx(jobPath(job), "job-"+job, ""))
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
			t.Fatalf("card poll on r2 with the cookie from r1: %d\n%s", resp.StatusCode, body)
		}
		resp, body = b.must(t, http.MethodPost, jobPath(job)+"/cancel", 2, url.Values{"reason": {"wrong search"}},
			b.htmx(jobPath(job), "", csrf))
		if resp.StatusCode != http.StatusOK || cardStatus(t, body) != cfsim.StatusCancelled {
			t.Fatalf("cancel on r2: %d, card %q, want 200 and CANCELLED\n%s", resp.StatusCode, cardStatus(t, body), body)
		}

		// r1, where the session began, dies mid-session; the analyst goes
		// on through the proxy without signing in again.
		live := s.jobs[1]
		for i := range 12 {
			if i == 4 {
				f.replicas[0].kill()
			}
			path, hdr := jobPath(live)+"/card", b.htmx(jobPath(live), "job-"+live, "")
			if i%3 == 2 {
				path, hdr = jobPath(live), nil // a page load now and then
			}
			resp, body, err := b.do(http.MethodGet, path, 0, nil, hdr)
			if err != nil {
				t.Fatalf("request %d after r1 died: %v", i, err)
			}
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
				t.Fatalf("request %d (r1 killed before request 4): %d, HX-Redirect %q\n%s", i, resp.StatusCode, resp.Header.Get("HX-Redirect"), body)
			}
		}
		if n := f.proxy.retries.Load(); n > 1 {
			t.Errorf("the proxy retried %d requests, want at most one", n)
		}
		t.Logf("after SIGKILL of r1: %d request(s) retried by the proxy, answers per replica %v", f.proxy.retries.Load(), f.proxy.servedBy())

		// A logout on r2 ends the session on r3, which has the user cached.
		r3 := b.copyTab()
		wantCard := func(c *browser) (int, string) {
			resp, _ := c.must(t, http.MethodGet, jobPath(live)+"/card", 3, nil, c.htmx(jobPath(live), "job-"+live, ""))
			return resp.StatusCode, resp.Header.Get("HX-Redirect")
		}
		if code, _ := wantCard(r3); code != http.StatusOK && code != http.StatusNoContent {
			t.Fatalf("card poll on r3 before the logout: %d", code)
		}
		_, page = b.must(t, http.MethodGet, jobPath(live), 2, nil, nil)
		resp, _ = b.must(t, http.MethodPost, "/logout", 2, url.Values{"csrf": {csrfOf(t, page)}}, nil)
		loggedOut := time.Now()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout on r2: %d", resp.StatusCode)
		}
		for {
			code, redirect := wantCard(r3)
			if code == http.StatusUnauthorized && strings.HasPrefix(redirect, "/login") {
				break
			}
			// The goal is 1 s: each replica's cache re-reads the change
			// counter at most a second after its last read. The half
			// second on top is for the requests themselves on a busy
			// machine, not for the mechanism.
			if time.Since(loggedOut) > 1500*time.Millisecond {
				t.Fatalf("1.5 s after the logout on r2, r3 still answers the old cookie with %d", code)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("a logout on r2 reached r3 after %s", time.Since(loggedOut).Round(time.Millisecond))
	})

	t.Run("double cancel on two replicas", func(t *testing.T) {
		job := s.jobs[2]
		type responder struct {
			b    *browser
			pin  int
			csrf string
		}
		var rs []*responder
		for i, email := range []string{ben, cleo} {
			r := &responder{b: newBrowser(f.proxy.url), pin: i + 2}
			r.b.login(t, email, password, r.pin)
			r.b.addCredential(t, s.tokens[email], r.pin)
			_, page := r.b.must(t, http.MethodGet, jobPath(job), r.pin, nil, nil)
			r.csrf = csrfOf(t, page)
			rs = append(rs, r)
		}
		// Cloudflare takes a moment to answer a cancel, so "at once" means
		// the second arrives while the first is in flight. With the
		// simulator answering in a millisecond, the second claim can come
		// after the first cancel has finished, and then it POSTs again: one
		// replica does the same, since what Cloudflare told one credential
		// about a job is not known to another's.
		s.InjectFault(cfsim.Fault{Endpoint: cfsim.EndpointCancel, Kind: cfsim.FaultLatency, Latency: 500 * time.Millisecond, Count: 2})
		before := s.cancelPOSTs(job)
		var wg sync.WaitGroup
		start := make(chan struct{})
		codes, bodies := make([]int, 2), make([]string, 2)
		for i, r := range rs {
			wg.Go(func() {
				<-start
				resp, body, err := r.b.do(http.MethodPost, jobPath(job)+"/cancel", r.pin, url.Values{"reason": {"duplicate"}},
					r.b.htmx(jobPath(job), "", r.csrf))
				if err == nil {
					codes[i], bodies[i] = resp.StatusCode, body
				}
			})
		}
		close(start)
		wg.Wait()
		posts := s.cancelPOSTs(job) - before
		t.Logf("two responders cancelling one job on r2 and r3 at once: %d upstream POST(s)", posts)
		if posts != 1 {
			t.Errorf("upstream cancel POSTs = %d, want exactly 1", posts)
		}
		joined := 0
		for i := range rs {
			if codes[i] != http.StatusOK || cardStatus(t, bodies[i]) != cfsim.StatusCancelled {
				t.Errorf("responder %d (r%d): %d, card %q, want 200 and CANCELLED\n%s", i+1, rs[i].pin, codes[i], cardStatus(t, bodies[i]), bodies[i])
			}
			if strings.Contains(bodies[i], "was already cancelling this job") {
				joined++
			}
		}
		if joined != 1 {
			t.Errorf("%d of the two responders were told a colleague's cancel did the work, want 1", joined)
		}
	})
}
