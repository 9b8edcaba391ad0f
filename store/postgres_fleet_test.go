package store_test

import (
	"testing"

	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/apiclient/guard/fleettest"
	"github.com/respond/bulkjobs/store/storetest"
)

// The refreshers' fleet scenarios (apiclient/guard/fleettest) on
// PostgreSQL: each replica opens its own pool on one database, as separate
// processes do, and learns of the others' writes through LISTEN/NOTIFY.

// pgFleet gives each replica a new pool on a new database.
func pgFleet(t *testing.T) fleettest.NewFleet {
	url := storetest.PostgresURL(t)
	return func() guard.Fleet {
		f, _ := feedsOn(t, url)
		return f
	}
}

func TestPostgresFleetCostsWhatOneReplicaDoes(t *testing.T) {
	t.Parallel()
	newFleet := pgFleet(t)
	one := fleettest.Cost(t, 1, nil)
	shared := fleettest.Cost(t, 3, newFleet)
	t.Logf("upstream reads in 12 intervals: 1 replica %d (%d lists), 3 replicas on PostgreSQL %d (%d lists)",
		one.Reads(), one.Lists, shared.Reads(), shared.Lists)
	if d := shared.Reads() - one.Reads(); d > 2 || d < -2 || shared.Lists != one.Lists {
		t.Errorf("3 replicas on PostgreSQL read %d times (%d lists), one replica %d (%d lists); want the same ±2",
			shared.Reads(), shared.Lists, one.Reads(), one.Lists)
	}
}

func TestPostgresFleetPutOnAFollowerShowsEverywhere(t *testing.T) {
	t.Parallel()
	fleettest.PutEverywhere(t, pgFleet(t), false)
}

func TestPostgresFleetPutDuringTheLeadersRead(t *testing.T) {
	t.Parallel()
	fleettest.PutDuringRead(t, pgFleet(t))
}

func TestPostgresFleetLeaderHandsOver(t *testing.T) {
	t.Parallel()
	fleettest.Takeover(t, pgFleet(t), false)
}

func TestPostgresFleetLeaderKilled(t *testing.T) {
	t.Parallel()
	fleettest.Takeover(t, pgFleet(t), true)
}

func TestPostgresFleetDatabaseUnreachable(t *testing.T) {
	t.Parallel()
	fleettest.Unreachable(t, pgFleet(t))
}

func TestPostgresFleetForgetEverywhere(t *testing.T) {
	t.Parallel()
	fleettest.ForgetEverywhere(t, pgFleet(t))
}
