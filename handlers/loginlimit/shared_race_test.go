package loginlimit

import (
	"context"
	"sync"
	"testing"
	"time"
)

type slowStore struct {
	mu    sync.Mutex
	fails map[string][]time.Time
	hold  chan struct{} // when set, the next LoginFailures waits on it after reading
	read  chan struct{}
}

func (s *slowStore) LoginFailures(_ context.Context, since time.Time, _ int, keys []string) (map[string][]time.Time, error) {
	s.mu.Lock()
	out := map[string][]time.Time{}
	for _, k := range keys {
		out[k] = append([]time.Time(nil), s.fails[k]...)
	}
	hold := s.hold
	s.hold = nil // one read is held; a read made again goes through
	s.mu.Unlock()
	if hold != nil {
		s.read <- struct{}{}
		<-hold
	}
	return out, nil
}
func (s *slowStore) RecordLoginFailure(_ context.Context, at time.Time, keys []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		s.fails[k] = append(s.fails[k], at)
	}
	return nil
}
func (s *slowStore) PruneLoginFailures(context.Context, time.Time) error { return nil }

// A failure recorded while another Start's read of the store is under way
// is seen: the second guess is refused (it went through when the read
// preceded the failure and the in-progress count ended after it).
func TestSharedFailureFinishedDuringARead(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	st := &slowStore{fails: map[string][]time.Time{AccountKey("a@x"): {now.Add(-time.Minute)}}}
	s := NewShared(st, Options{PerAccount: 2, PerAddr: 100, Now: func() time.Time { return now }})
	a := Attempt{Email: "a@x", Addr: "192.0.2.1"}
	v, done1, err := s.Start(context.Background(), a)
	if err != nil || done1 == nil {
		t.Fatalf("first = %+v %v", v, err)
	}
	hold := make(chan struct{})
	st.mu.Lock()
	st.hold, st.read = hold, make(chan struct{})
	st.mu.Unlock()
	type res struct {
		v    Verdict
		done func(bool)
	}
	ch := make(chan res)
	go func() {
		v, done, _ := s.Start(context.Background(), a)
		ch <- res{v, done}
	}()
	<-st.read   // the second Start has read 1 failure
	done1(true) // the first guess fails: 2 failures stored, none in progress
	close(hold) // the second Start's read returns what it read before the failure
	r := <-ch
	if r.done != nil {
		t.Errorf("second guess allowed (verdict %+v) although the account had reached 2 failures before it was decided", r.v)
	}
}
