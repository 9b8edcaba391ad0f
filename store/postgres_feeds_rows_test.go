package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/respond/bulkjobs/store/storetest"
)

// Forget and Prune leave nothing that ended: the rows stay bounded.
func TestPostgresFeedsForgetAndPrune(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	f, s := feedsOn(t, url)
	ctx := context.Background()
	for _, k := range []string{"key-1", "key-2"} {
		if _, _, err := f.Lead(ctx, k, "acct", "replica-a", t0, t0.Add(15*time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.Publish(ctx, k, "acct", 0, []byte("s"), t0); err != nil {
			t.Fatal(err)
		}
		if err := f.Watch(ctx, k, "acct", []string{"job-1"}, t0.Add(15*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	rows := func() string {
		var l, sn, w int
		if err := s.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM refresh_leases), (SELECT count(*) FROM refresh_snapshots),
			(SELECT count(*) FROM refresh_watches)`).Scan(&l, &sn, &w); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d leases, %d snapshots, %d watches", l, sn, w)
	}
	if err := f.Forget(ctx, "key-1"); err != nil {
		t.Fatal(err)
	}
	if r := rows(); r != "1 leases, 1 snapshots, 1 watches" {
		t.Errorf("after Forget of one credential: %s", r)
	}
	if err := f.Prune(ctx, t0.Add(10*time.Second), t0.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if r := rows(); r != "1 leases, 1 snapshots, 1 watches" {
		t.Errorf("Prune removed rows that run: %s", r)
	}
	if err := f.Prune(ctx, t0.Add(15*time.Second), t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if r := rows(); r != "0 leases, 0 snapshots, 0 watches" {
		t.Errorf("after Prune past every end: %s", r)
	}
}

// Every write of a snapshot, and every Forget, reaches a replica that
// listens, with the sequence (0 for a Forget).
func TestPostgresFeedsListen(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	a, _ := feedsOn(t, url)
	b, _ := feedsOn(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	notes := make(chan string, 10)
	done := make(chan error)
	go func() {
		done <- b.Listen(ctx, func() { close(ready) }, func(cred, account string, seq uint64) {
			notes <- fmt.Sprintf("%s %s %d", cred, account, seq)
		})
	}()
	<-ready
	seq, _, err := a.Publish(context.Background(), "key-1", "acct 1", 0, []byte("s"), t0)
	if err != nil {
		t.Fatal(err)
	}
	if n := <-notes; n != fmt.Sprintf("key-1 acct 1 %d", seq) {
		t.Errorf("notified %q after a publish", n)
	}
	if err := a.Forget(context.Background(), "key-1"); err != nil {
		t.Fatal(err)
	}
	if n := <-notes; n != "key-1 acct 1 0" {
		t.Errorf("notified %q after a Forget", n)
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("Listen returned no error when its context ended")
	}
}
