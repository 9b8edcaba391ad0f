package guard

import (
	"reflect"
	"sync"
	"weak"
)

// boxed holds one cached value; answers of several credentials may point
// to the same box.
type boxed struct{ val any }

// sharedAnswers keeps one copy of each answer that several credentials read
// the same. 500 analysts with their own tokens who opened the same job
// would otherwise keep 500 copies of its messages page (18 MB in the load
// test). Only equal values are shared, so each credential still sees
// exactly what its own read returned. The pool holds its boxes weakly: a
// value nobody's answer keeps is collected as before, and the pool keeps
// only the emptied entries, which sweep drops.
type sharedAnswers struct {
	mu     sync.Mutex
	boxes  map[string]weak.Pointer[boxed] // the read's key (without the credential) → its latest value
	misses int                            // new boxes since the last sweep
}

// share returns the box of the pooled value equal to val under key, or a
// new box for val, pooled from now on.
func (s *sharedAnswers) share(key string, val any) *boxed {
	s.mu.Lock()
	defer s.mu.Unlock()
	if wp, ok := s.boxes[key]; ok {
		if b := wp.Value(); b != nil && reflect.DeepEqual(b.val, val) {
			return b
		}
	}
	if s.boxes == nil {
		s.boxes = map[string]weak.Pointer[boxed]{}
	}
	b := &boxed{val: val}
	s.boxes[key] = weak.Make(b)
	if s.misses++; s.misses > len(s.boxes) {
		s.sweep()
	}
	return b
}

// sweep drops the entries whose value was collected. s.mu is held. It runs
// once the pool has made as many new boxes as it holds, so its cost per
// share stays constant.
func (s *sharedAnswers) sweep() {
	s.misses = 0
	for k, wp := range s.boxes {
		if wp.Value() == nil {
			delete(s.boxes, k)
		}
	}
}
