package guard

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"
)

// ReplayStore counts the presentations of an identity. The guard keys an
// entry hop by the identity's jti and a forwarded hop by (jti, endpoint),
// and keeps each key until the identity has expired (exp + leeway).
//
// The default, [NewMemoryReplayStore], is per service instance: a second
// instance of the same service does not see the first one's keys, so an
// entry-hop identity is single-use per instance. For single use across
// instances, configure one store they share ([WithReplayStore]); in Redis,
// Use is INCR key followed, on the first use, by PEXPIREAT key expires (one
// Lua script or MULTI), which is what package
// github.com/tracegate/tracegate/gateway/guard/redisreplay does.
type ReplayStore interface {
	// Use records one presentation of key, keeping the key at least until
	// expires, and returns how many presentations the key has had,
	// this one included (1 the first time). An error refuses the call
	// (fail closed).
	Use(ctx context.Context, key string, expires time.Time) (int64, error)
}

// MemoryReplayStore is the in-memory [ReplayStore]: at most a fixed number
// of keys, each dropped once it expires. When every slot holds a key that
// has not expired, Use refuses new keys with an error wrapping
// [ErrReplayCacheFull] that tells when the first slot frees (RetryAfter):
// evicting a live key would let its identity be replayed. Safe for
// concurrent use.
type MemoryReplayStore struct {
	max int
	now func() time.Time

	mu   sync.Mutex
	keys map[string]*replayEntry
	exp  expiryHeap
}

// DefaultReplayEntries is the capacity of the default replay store: with
// identities living at most MaxLifetime (60 s) plus leeway, about 1,500
// accepted identities a second per instance (each entry ~150 bytes).
const DefaultReplayEntries = 100_000

// NewMemoryReplayStore returns a store holding at most maxEntries keys
// (DefaultReplayEntries when maxEntries <= 0).
func NewMemoryReplayStore(maxEntries int) *MemoryReplayStore {
	return newMemoryReplayStore(maxEntries, time.Now)
}

func newMemoryReplayStore(maxEntries int, now func() time.Time) *MemoryReplayStore {
	if maxEntries <= 0 {
		maxEntries = DefaultReplayEntries
	}
	return &MemoryReplayStore{max: maxEntries, now: now, keys: map[string]*replayEntry{}}
}

// Use implements [ReplayStore].
func (s *MemoryReplayStore) Use(_ context.Context, key string, expires time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for len(s.exp) > 0 && !s.exp[0].expires.After(now) {
		delete(s.keys, heap.Pop(&s.exp).(*replayEntry).key)
	}
	if e, ok := s.keys[key]; ok {
		e.uses++
		if expires.After(e.expires) {
			e.expires = expires
			heap.Fix(&s.exp, e.index)
		}
		return e.uses, nil
	}
	if len(s.keys) >= s.max {
		return 0, &cacheFullError{retryAfter: s.exp[0].expires.Sub(now)}
	}
	e := &replayEntry{key: key, expires: expires, uses: 1}
	s.keys[key] = e
	heap.Push(&s.exp, e)
	return 1, nil
}

// Len reports how many keys the store holds, expired ones included until
// the next Use sweeps them.
func (s *MemoryReplayStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

type cacheFullError struct{ retryAfter time.Duration }

func (e *cacheFullError) Error() string {
	return fmt.Sprintf("%v (first slot frees in %s)", ErrReplayCacheFull, e.retryAfter)
}

func (e *cacheFullError) Unwrap() error { return ErrReplayCacheFull }

// RetryAfter is how long until the oldest key expires.
func (e *cacheFullError) RetryAfter() time.Duration { return e.retryAfter }

type replayEntry struct {
	key     string
	expires time.Time
	uses    int64
	index   int
}

// expiryHeap orders entries by expiry, soonest first.
type expiryHeap []*replayEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*replayEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
