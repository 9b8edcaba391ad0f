package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Failures recorded through one replica are read through another: per key,
// only those after since, at most perKey of the newest, oldest first; a
// prune deletes the old ones.
func TestPostgresLoginFailuresShared(t *testing.T) {
	t.Parallel()
	a, b := twoReplicas(t)
	ctx := context.Background()
	at := func(m int) time.Time { return budgetStart.Add(time.Duration(m) * time.Minute) }
	for m := range 4 {
		if err := a.RecordLoginFailure(ctx, at(m), []string{"e:ana@example.com", "a:192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.RecordLoginFailure(ctx, at(4), []string{"d:device"}); err != nil {
		t.Fatal(err)
	}
	got, err := b.LoginFailures(ctx, at(0), 2, []string{"e:ana@example.com", "a:192.0.2.1", "d:device", "e:nobody@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]time.Time{
		"e:ana@example.com": {at(2), at(3)},
		"a:192.0.2.1":       {at(2), at(3)},
		"d:device":          {at(4)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoginFailures() mismatch (-want +got):\n%s", diff)
	}
	if err := a.PruneLoginFailures(ctx, at(2)); err != nil {
		t.Fatal(err)
	}
	got, err = b.LoginFailures(ctx, at(-60), 10, []string{"e:ana@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]time.Time{"e:ana@example.com": {at(3)}}, got); diff != "" {
		t.Errorf("LoginFailures() after the prune mismatch (-want +got):\n%s", diff)
	}
}
