// Package ratestore keeps bounded, sharded sets of rate-limit buckets.
//
// [Buckets] holds GCRA buckets, one int64 each (20-30 bytes with the table
// around it), keyed by a seeded hash of any comparable key; it serves the
// gateway's limiter. [Store] holds [golang.org/x/time/rate] limiters keyed
// by string (~200 bytes each), for callers that want a *rate.Limiter.
//
// A Store's memory is bounded by a maximum number of entries (least recently used
// entries are evicted first) and idle entries are dropped lazily, so a Store
// starts no goroutine and needs no Close. An evicted key starts again with a
// full bucket, which is what an idle bucket would hold anyway once it has been
// idle for burst/rate.
package ratestore

import (
	"hash/maphash"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	// DefaultMaxEntries is used when New is given a non-positive maximum.
	DefaultMaxEntries = 100_000
	// DefaultIdle is used when New is given a non-positive idle duration.
	DefaultIdle = 10 * time.Minute

	shardCount     = 64
	evictPerInsert = 2
)

// Store is a bounded map from key to *rate.Limiter. It is safe for
// concurrent use.
type Store struct {
	seed     maphash.Seed
	shards   []shard
	perShard int
	idle     int64 // nanoseconds
}

type shard struct {
	mu         sync.Mutex
	m          map[string]*entry
	head, tail *entry // head is the most recently used
}

type entry struct {
	key        string
	lim        *rate.Limiter
	seen       int64 // unix nanoseconds of the last use
	prev, next *entry
}

// New returns a Store holding at most maxEntries limiters (split over shards,
// so a shard may evict its least recently used entry slightly before the
// total is reached); a limiter unused
// for idle is dropped on a later insert into the same shard.
func New(maxEntries int, idle time.Duration) *Store {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	if idle <= 0 {
		idle = DefaultIdle
	}
	n := shardCount
	if maxEntries < shardCount*16 {
		n = 1
	}
	s := &Store{
		seed:     maphash.MakeSeed(),
		shards:   make([]shard, n),
		perShard: (maxEntries + n - 1) / n,
		idle:     int64(idle),
	}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*entry)
	}
	return s
}

// Get returns the limiter for key, creating it with limit and burst (and a
// full bucket) when absent. The limit of an existing limiter is not changed.
func (s *Store) Get(key string, now time.Time, limit rate.Limit, burst int) *rate.Limiter {
	sh := &s.shards[0]
	if len(s.shards) > 1 {
		sh = &s.shards[maphash.String(s.seed, key)%uint64(len(s.shards))]
	}
	ts := now.UnixNano()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.m[key]; ok {
		e.seen = ts
		sh.moveToFront(e)
		return e.lim
	}
	for i := 0; i < evictPerInsert && sh.tail != nil && ts-sh.tail.seen > s.idle; i++ {
		sh.remove(sh.tail)
	}
	if len(sh.m) >= s.perShard {
		sh.remove(sh.tail)
	}
	e := &entry{key: key, lim: rate.NewLimiter(limit, burst), seen: ts}
	sh.m[key] = e
	sh.pushFront(e)
	return e.lim
}

// Len reports the number of limiters held.
func (s *Store) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

func (sh *shard) pushFront(e *entry) {
	e.prev, e.next = nil, sh.head
	if sh.head != nil {
		sh.head.prev = e
	}
	sh.head = e
	if sh.tail == nil {
		sh.tail = e
	}
}

func (sh *shard) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		sh.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		sh.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (sh *shard) moveToFront(e *entry) {
	if sh.head == e {
		return
	}
	sh.unlink(e)
	sh.pushFront(e)
}

func (sh *shard) remove(e *entry) {
	sh.unlink(e)
	delete(sh.m, e.key)
}
