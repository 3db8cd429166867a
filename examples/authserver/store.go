package authserver

import (
	"sync"
	"time"
)

// ttlStore is a bounded map whose entries expire: pending authorization
// requests, authorization codes, registered clients and fetched client
// metadata documents all live in one. When it is full, an insert first drops
// the expired entries and then the oldest one, so memory stays bounded
// whatever clients send. Safe for concurrent use.
type ttlStore[V any] struct {
	mu      sync.Mutex
	max     int
	now     func() time.Time
	entries map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v       V
	added   time.Time
	expires time.Time
}

func newTTLStore[V any](max int, now func() time.Time) *ttlStore[V] {
	return &ttlStore[V]{max: max, now: now, entries: make(map[string]ttlEntry[V])}
}

// put stores v under key for ttl, replacing an entry with the same key.
func (s *ttlStore[V]) put(key string, v V, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if _, ok := s.entries[key]; !ok && len(s.entries) >= s.max {
		s.evictLocked(now)
	}
	s.entries[key] = ttlEntry[V]{v: v, added: now, expires: now.Add(ttl)}
}

// evictLocked drops every expired entry, or else the oldest one.
func (s *ttlStore[V]) evictLocked(now time.Time) {
	var oldest string
	var oldestAt time.Time
	dropped := false
	for k, e := range s.entries {
		if !now.Before(e.expires) {
			delete(s.entries, k)
			dropped = true
			continue
		}
		if oldest == "" || e.added.Before(oldestAt) {
			oldest, oldestAt = k, e.added
		}
	}
	if !dropped && oldest != "" {
		delete(s.entries, oldest)
	}
}

// get returns the live entry under key.
func (s *ttlStore[V]) get(key string) (V, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.liveLocked(key)
}

// take returns the live entry under key and removes it: single use.
func (s *ttlStore[V]) take(key string) (V, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.liveLocked(key)
	delete(s.entries, key)
	return v, ok
}

func (s *ttlStore[V]) liveLocked(key string) (V, bool) {
	e, ok := s.entries[key]
	if !ok || !s.now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// len counts the entries, expired ones included until they are evicted.
func (s *ttlStore[V]) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}
