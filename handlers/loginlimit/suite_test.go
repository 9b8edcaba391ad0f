package loginlimit_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respond/bulkjobs/handlers/loginlimit"
	"github.com/respond/bulkjobs/handlers/loginlimit/limittest"
)

func TestMemorySuite(t *testing.T) {
	t.Parallel()
	limittest.Run(t, func(*testing.T) limittest.Opener {
		return func(o loginlimit.Options) loginlimit.Limiter { return loginlimit.New(o) }
	})
}

// sharedOpener opens Shared limiters on one fakeFailures; PostgreSQL's is
// run in cmd/dashboard, which may import both packages.
func sharedOpener(*testing.T) limittest.Opener {
	fs := &fakeFailures{rows: map[string][]time.Time{}}
	return func(o loginlimit.Options) loginlimit.Limiter { return loginlimit.NewShared(fs, o) }
}

func TestSharedSuite(t *testing.T) {
	t.Parallel()
	limittest.Run(t, sharedOpener)
	limittest.RunReplicas(t, sharedOpener)
}

// fakeFailures is a FailureStore in memory whose reads or writes can fail.
type fakeFailures struct {
	mu                sync.Mutex
	rows              map[string][]time.Time
	readErr, writeErr atomic.Bool
	records           atomic.Int64
	recordCtxErr      error // the context's error when the last record ran
}

var errDown = errors.New("connection refused")

func (f *fakeFailures) LoginFailures(_ context.Context, since time.Time, perKey int, keys []string) (map[string][]time.Time, error) {
	if f.readErr.Load() {
		return nil, errDown
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]time.Time{}
	for _, k := range keys {
		var ts []time.Time
		for _, at := range f.rows[k] {
			if at.After(since) {
				ts = append(ts, at)
			}
		}
		slices.SortFunc(ts, time.Time.Compare)
		if len(ts) > perKey {
			ts = ts[len(ts)-perKey:]
		}
		if len(ts) > 0 {
			out[k] = ts
		}
	}
	return out, nil
}

func (f *fakeFailures) RecordLoginFailure(ctx context.Context, at time.Time, keys []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recordCtxErr = ctx.Err()
	if f.writeErr.Load() {
		return errDown
	}
	f.records.Add(1)
	for _, k := range keys {
		f.rows[k] = append(f.rows[k], at)
	}
	return nil
}

func (f *fakeFailures) PruneLoginFailures(_ context.Context, before time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, ts := range f.rows {
		f.rows[k] = slices.DeleteFunc(ts, func(at time.Time) bool { return !at.After(before) })
	}
	return nil
}

// A store that cannot be read refuses the attempt with its error, never a
// verdict that would let it through; one that cannot be written still has
// the failure counted in this process; a client that went away does not
// take its failure with it.
func TestSharedWhenTheStoreFails(t *testing.T) {
	t.Parallel()
	clock := limittest.NewClock()
	fs := &fakeFailures{rows: map[string][]time.Time{}}
	l := loginlimit.NewShared(fs, loginlimit.Options{PerAccount: 3, PerAddr: 100, Now: clock.Now})
	a := loginlimit.Attempt{Email: "ana@example.com", Addr: "192.0.2.1"}

	fs.readErr.Store(true)
	if v, err := l.Check(t.Context(), a); !errors.Is(err, errDown) {
		t.Errorf("Check() with the store down = %+v, %v; want its error", v, err)
	}
	if v, done, err := l.Start(t.Context(), a); !errors.Is(err, errDown) || done != nil {
		t.Errorf("Start() with the store down = %+v, done=%v, %v; want its error and no check", v, done != nil, err)
	}
	fs.readErr.Store(false)

	fs.writeErr.Store(true)
	for i := range 3 {
		if _, ok := limittest.Try(t, l, a, true); !ok {
			t.Fatalf("failure %d refused", i+1)
		}
	}
	if _, ok := limittest.Try(t, l, a, false); ok {
		t.Error("3 failures the store could not record did not limit the account in this process")
	}
	clock.Advance(15*time.Minute + time.Second)
	if _, ok := limittest.Try(t, l, a, false); !ok {
		t.Error("the unrecorded failures outlived the window")
	}
	fs.writeErr.Store(false)

	ctx, cancel := context.WithCancel(t.Context())
	_, done, err := l.Start(ctx, a)
	if err != nil || done == nil {
		t.Fatalf("Start() = %v", err)
	}
	cancel() // the client goes away while its password is checked
	done(true)
	if fs.records.Load() != 1 || fs.recordCtxErr != nil {
		t.Errorf("records = %d (context error %v), want the failure recorded despite the client leaving", fs.records.Load(), fs.recordCtxErr)
	}
}
