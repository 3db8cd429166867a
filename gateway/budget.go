package gateway

import (
	"sync"
	"sync/atomic"
)

// budget caps the bytes of request bodies and of their decoded forms
// (wire.Message.DecodeCost) held at once, so that a flood of large bodies
// costs at most the cap, whatever the concurrency; and caps each
// principal's share of it, so that one caller holding bodies open (slow
// uploads) cannot starve everyone else. Safe for concurrent use.
type budget struct {
	limit int64 // 0: unlimited
	share int64 // one principal's most; 0: limit
	used  atomic.Int64

	mu  sync.Mutex
	per map[string]int64
}

func newBudget(limit, share int64) *budget {
	if share <= 0 || share > limit {
		share = limit
	}
	return &budget{limit: limit, share: share, per: map[string]int64{}}
}

// take reserves n bytes for principal key and returns their release, or
// ok false (nothing reserved) when the cap or the principal's share would
// be exceeded.
func (b *budget) take(key string, n int64) (release func(), ok bool) {
	if b == nil || b.limit <= 0 || n <= 0 {
		return func() {}, true
	}
	b.mu.Lock()
	if b.per[key]+n > b.share {
		b.mu.Unlock()
		return nil, false
	}
	b.per[key] += n
	b.mu.Unlock()
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		b.give(key, n)
		return nil, false
	}
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			b.used.Add(-n)
			b.give(key, n)
		}
	}, true
}

func (b *budget) give(key string, n int64) {
	b.mu.Lock()
	if b.per[key] -= n; b.per[key] <= 0 {
		delete(b.per, key)
	}
	b.mu.Unlock()
}

// inUse is the number of bytes currently reserved.
func (b *budget) inUse() int64 { return b.used.Load() }
