package guard

import "time"

// FeedStat is one running feed as the metrics see it: no secret, only the
// credential's Key.
type FeedStat struct {
	Key     string    // the credential's Key
	Account string    // the account watched
	At      time.Time // when the data of its snapshot arrived; zero before the first read
	Failing bool      // its latest read failed: the snapshot is older than the interval
	// Role is the feed's place in a Fleet: "leader" (reads Cloudflare and
	// publishes), "follower" (loads what the leader publishes) or "solo"
	// (reads Cloudflare itself: no Fleet, or it did not answer).
	Role string
}

// FeedStats returns the running feeds, in no order.
func (r *Refresher) FeedStats() []FeedStat {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]FeedStat, 0, len(r.feeds))
	for id, f := range r.feeds {
		s := FeedStat{Key: id.cred, Account: id.account, Role: f.fl.role.String()}
		if f.snap != nil {
			s.Failing = f.snap.Err != nil
			if f.snap.Version > 0 { // version 0: every read so far failed, there is no data
				s.At = f.snap.At
			}
		}
		out = append(out, s)
	}
	return out
}

// Now is the Refresher's clock (the metrics compute snapshot ages with it).
func (r *Refresher) Now() time.Time { return r.now() }
