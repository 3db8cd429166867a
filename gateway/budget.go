package gateway

import "sync/atomic"

// budget caps the bytes of request bodies (and of the copies argument
// validation makes of them) held at once, so that a flood of large bodies
// costs at most the cap, whatever the concurrency. Safe for concurrent use.
type budget struct {
	limit int64 // 0: unlimited
	used  atomic.Int64
}

// take reserves n bytes and returns their release, or ok false (nothing
// reserved) when the cap would be exceeded.
func (b *budget) take(n int64) (release func(), ok bool) {
	if b == nil || b.limit <= 0 || n <= 0 {
		return func() {}, true
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return nil, false
	}
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			b.used.Add(-n)
		}
	}, true
}

// inUse is the number of bytes currently reserved.
func (b *budget) inUse() int64 { return b.used.Load() }
