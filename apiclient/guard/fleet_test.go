package guard_test

import (
	"testing"

	"github.com/respond/bulkjobs/apiclient/guard"
	"github.com/respond/bulkjobs/apiclient/guard/fleettest"
)

// memFleet gives every replica the same Fleet in memory.
func memFleet() fleettest.NewFleet {
	f := fleettest.NewMemFleet()
	return func() guard.Fleet { return f }
}

// Three replicas of one Fleet, tabs on all three, 20 running jobs of
// which 15 are beyond the first page: Cloudflare is asked what one
// replica alone asks (±2), not three times that.
func TestFleetCostsWhatOneReplicaDoes(t *testing.T) {
	one := fleettest.Cost(t, 1, nil)
	apart := fleettest.Cost(t, 3, nil)
	mem := fleettest.NewMemFleet()
	shared := fleettest.Cost(t, 3, func() guard.Fleet { return mem })
	// The database's cost: 13 intervals, 3 feeds (one leads), with the
	// followers' loads at most one per quarter interval each and about
	// one per publish.
	calls := mem.Calls()
	t.Logf("fleet calls: %v", calls)
	if calls["Load"] > 2*13*4 || calls["Publish"] > 13+20 {
		t.Errorf("fleet calls %v: more than a load per follower per quarter interval, or a publish per read and per job shared", calls)
	}
	t.Logf("upstream reads in 12 intervals: 1 replica %d (%d lists), 3 replicas apart %d (%d lists), 3 replicas sharing %d (%d lists)",
		one.Reads(), one.Lists, apart.Reads(), apart.Lists, shared.Reads(), shared.Lists)
	if d := shared.Reads() - one.Reads(); d > 2 || d < -2 || shared.Lists != one.Lists {
		t.Errorf("3 replicas sharing read %d times (%d lists), one replica %d (%d lists); want the same ±2",
			shared.Reads(), shared.Lists, one.Reads(), one.Lists)
	}
	if apart.Lists <= one.Lists {
		t.Errorf("3 replicas apart listed %d times, one %d: the scenario does not tell them apart", apart.Lists, one.Lists)
	}
}

func TestFleetPutOnAFollowerShowsEverywhere(t *testing.T) {
	fleettest.PutEverywhere(t, memFleet(), true)
}

func TestFleetPutDuringTheLeadersRead(t *testing.T) {
	fleettest.PutDuringRead(t, memFleet())
}

func TestFleetLeaderHandsOver(t *testing.T) { fleettest.Takeover(t, memFleet(), false) }

func TestFleetLeaderKilled(t *testing.T) { fleettest.Takeover(t, memFleet(), true) }

func TestFleetDatabaseUnreachable(t *testing.T) { fleettest.Unreachable(t, memFleet()) }

func TestFleetForgetEverywhere(t *testing.T) { fleettest.ForgetEverywhere(t, memFleet()) }
