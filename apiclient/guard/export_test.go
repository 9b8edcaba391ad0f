package guard

// RoundTrip sends s through the shared snapshot's encoding, as a follower
// receives it from the leader.
func RoundTrip(s *Snapshot) (*Snapshot, error) {
	b, err := encodeSnapshot(s)
	if err != nil {
		return nil, err
	}
	return decodeSnapshot(b, nil)
}
