package webtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/guard"
)

// feedSteps replaces the refresher's timer: a feed sleeps until the test
// steps the feeds (App.StepFeeds), so a feed reads on its own only when a
// test says so. Reads that a poll triggers (its snapshot an interval old on
// the fake clock) happen as in production.
type feedSteps struct {
	mu       sync.Mutex
	wake     chan struct{} // closed by step: every feed sleeping on it wakes
	gen      int           // counts steps
	sleeping map[int]int   // step generation → feeds asleep in it
}

func newFeedSteps() *feedSteps {
	return &feedSteps{wake: make(chan struct{}), sleeping: map[int]int{}}
}

// sleep is the refresher's Sleep: it waits for the next step, or ctx.
func (s *feedSteps) sleep(ctx context.Context, _ time.Duration) error {
	s.mu.Lock()
	wake, gen := s.wake, s.gen
	s.sleeping[gen]++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.sleeping[gen]--
		s.mu.Unlock()
	}()
	select {
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// step wakes every sleeping feed and waits until each has slept again or
// stopped (unwatched, forgotten).
func (s *feedSteps) step(t testing.TB, r *guard.Refresher) {
	t.Helper()
	s.mu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.gen++
	gen := s.gen
	s.mu.Unlock()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.mu.Lock()
		asleep := s.sleeping[gen-1] == 0 && s.sleeping[gen] == r.Feeds()
		s.mu.Unlock()
		if asleep {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feeds did not settle after a step: %d running", r.Feeds())
		}
	}
}

// newRefresher is the app's refresher on the fake clock, stepped by steps.
// Its reads are bounded by a minute: tests of slow answers bound the page,
// not the feed.
func newRefresher(t testing.TB, api guard.API, now func() time.Time, steps *feedSteps) *guard.Refresher {
	r := guard.NewRefresher(api, guard.RefresherOptions{Now: now, Sleep: steps.sleep, Timeout: time.Minute})
	t.Cleanup(r.Close)
	return r
}

// StepFeeds lets every feed of the app's refresher run one more round: a
// feed whose snapshot is an interval old (on the fake clock) reads it, a
// feed unwatched for its idle time stops. It returns when every feed sleeps
// again or has stopped.
func (a *App) StepFeeds(t testing.TB) {
	t.Helper()
	a.steps.step(t, a.Live)
}
