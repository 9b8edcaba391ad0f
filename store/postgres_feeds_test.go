package store_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/store/storetest"
)

var _ guard.Fleet = (*store.PostgresFeeds)(nil)

// feedsOn opens another pool on the database at url, as another replica.
func feedsOn(t *testing.T, url string) (*store.PostgresFeeds, *store.Postgres) {
	t.Helper()
	s, err := store.OpenPostgres(context.Background(), url, newKeyring(t, newKey(t)))
	if err != nil {
		t.Fatalf("OpenPostgres() error = %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return store.NewPostgresFeeds(s), s
}

var t0 = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func TestPostgresFeedsLease(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	a, _ := feedsOn(t, url)
	b, _ := feedsOn(t, url)
	ctx := context.Background()
	lead := func(f *store.PostgresFeeds, holder string, now time.Time) bool {
		t.Helper()
		ok, _, err := f.Lead(ctx, "key-1", "acct", holder, now, now.Add(15*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !lead(a, "replica-a", t0) || lead(b, "replica-b", t0.Add(time.Second)) {
		t.Fatal("the first replica should lead and the second not")
	}
	if !lead(a, "replica-a", t0.Add(5*time.Second)) || lead(b, "replica-b", t0.Add(19*time.Second)) {
		t.Error("the leader should renew its lease, to 20 s")
	}
	if !lead(b, "replica-b", t0.Add(20*time.Second)) || lead(a, "replica-a", t0.Add(21*time.Second)) {
		t.Error("after the lease ran out the other replica should take it, and the old leader lose it")
	}
	if err := a.Release(ctx, "key-1", "acct", "replica-a"); err != nil || lead(a, "replica-a", t0.Add(22*time.Second)) {
		t.Errorf("a release by a replica that does not hold the lease ended it (%v)", err)
	}
	if err := b.Release(ctx, "key-1", "acct", "replica-b"); err != nil || !lead(a, "replica-a", t0.Add(23*time.Second)) {
		t.Errorf("after the holder's release the other should lead at once (%v)", err)
	}
	if ok, _, err := b.Lead(ctx, "key-1", "acct-2", "replica-b", t0, t0.Add(15*time.Second)); !ok || err != nil {
		t.Errorf("another account's lease is another lease: %t, %v", ok, err)
	}
}

// Replicas asking for one lease at once, on two pools: exactly one leads.
func TestPostgresFeedsLeaseIsExclusive(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	pools := []*store.PostgresFeeds{}
	for range 2 {
		f, _ := feedsOn(t, url)
		pools = append(pools, f)
	}
	for round := range 5 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		leaders := 0
		start := make(chan struct{})
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				now := t0.Add(time.Duration(round) * time.Minute) // each round the last lease has run out
				ok, _, err := pools[i%2].Lead(context.Background(), "key-race", "acct", fmt.Sprintf("replica-%d", i), now, now.Add(15*time.Second))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					leaders++
					mu.Unlock()
				}
			}()
		}
		close(start)
		wg.Wait()
		if leaders != 1 {
			t.Errorf("round %d: %d replicas lead, want 1", round, leaders)
		}
	}
}

func TestPostgresFeedsPublishAndLoad(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	a, _ := feedsOn(t, url)
	b, _ := feedsOn(t, url)
	ctx := context.Background()
	if seq, data, err := b.Load(ctx, "key-1", "acct", 0); seq != 0 || data != nil || err != nil {
		t.Fatalf("Load before any publish = %d, %q, %v", seq, data, err)
	}
	s1, ok, err := a.Publish(ctx, "key-1", "acct", 0, []byte("first"), t0)
	if err != nil || !ok || s1 == 0 {
		t.Fatalf("first Publish = %d, %t, %v", s1, ok, err)
	}
	if _, ok, err := b.Publish(ctx, "key-1", "acct", 0, []byte("rival"), t0); ok || err != nil {
		t.Errorf("a second first Publish = %t, %v; want refused", ok, err)
	}
	if seq, data, err := b.Load(ctx, "key-1", "acct", 0); seq != s1 || string(data) != "first" || err != nil {
		t.Errorf("Load = %d, %q, %v; want %d, first", seq, data, err, s1)
	}
	if seq, data, err := b.Load(ctx, "key-1", "acct", s1); seq != s1 || data != nil || err != nil {
		t.Errorf("Load after the one known = %d, %q, %v; want the sequence alone", seq, data, err)
	}
	s2, ok, err := b.Publish(ctx, "key-1", "acct", s1, []byte("second"), t0)
	if err != nil || !ok || s2 <= s1 {
		t.Fatalf("Publish on the stored one = %d, %t, %v", s2, ok, err)
	}
	if _, ok, _ := a.Publish(ctx, "key-1", "acct", s1, []byte("stale"), t0); ok {
		t.Error("a Publish on an older base was stored")
	}
	// A snapshot written after a delete still has a higher sequence.
	if err := a.Forget(ctx, "key-1"); err != nil {
		t.Fatal(err)
	}
	s3, ok, err := a.Publish(ctx, "key-1", "acct", 0, []byte("again"), t0)
	if err != nil || !ok || s3 <= s2 {
		t.Errorf("Publish after Forget = %d, %t, %v; want a sequence above %d", s3, ok, err, s2)
	}
}

// Replicas each putting their change into the snapshot at once (cancels'
// answers, a leader's publish), on two pools, by load, change, publish on
// that base and again when refused: no change is lost.
func TestPostgresFeedsConcurrentChangesAllStay(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	a, _ := feedsOn(t, url)
	b, _ := feedsOn(t, url)
	ctx := context.Background()
	if _, _, err := a.Publish(ctx, "key-1", "acct", 0, []byte("snapshot"), t0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := []*store.PostgresFeeds{a, b}[i%2]
			for {
				seq, data, err := f.Load(ctx, "key-1", "acct", 0)
				if err != nil {
					t.Error(err)
					return
				}
				if _, ok, err := f.Publish(ctx, "key-1", "acct", seq, fmt.Appendf(data, " +%d", i), t0); err != nil || ok {
					if err != nil {
						t.Error(err)
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	_, data, err := a.Load(ctx, "key-1", "acct", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if !bytes.Contains(append(data, ' '), fmt.Appendf(nil, " +%d ", i)) {
			t.Errorf("change %d was lost: %q", i, data)
		}
	}
}

func TestPostgresFeedsWatches(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	a, _ := feedsOn(t, url)
	b, _ := feedsOn(t, url)
	ctx := context.Background()
	if err := a.Watch(ctx, "key-1", "acct", []string{"job-2", "job-1", "job-2"}, t0.Add(15*time.Second)); err != nil {
		t.Fatalf("Watch with a job named twice: %v", err)
	}
	if err := b.Watch(ctx, "key-1", "acct", []string{"job-3"}, t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := b.Watch(ctx, "key-1", "acct", []string{"job-1"}, t0.Add(5*time.Second)); err != nil { // shorter: kept longer
		t.Fatal(err)
	}
	got := func(now time.Time) string {
		jobs, err := b.Watched(ctx, "key-1", "acct", now)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(jobs)
	}
	if g := got(t0); g != "[job-3 job-1 job-2]" {
		t.Errorf("Watched = %s, want every job, the longest watched first", g)
	}
	if g := got(t0.Add(15 * time.Second)); g != "[job-3]" {
		t.Errorf("Watched once the first records ended = %s", g)
	}
	if jobs, _ := b.Watched(ctx, "key-2", "acct", t0); len(jobs) != 0 {
		t.Errorf("another credential's feed has %v", jobs)
	}
}
