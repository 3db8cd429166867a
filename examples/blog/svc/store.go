package svc

import (
	"strconv"
	"sync"
)

// Store is a mutex-guarded in-memory table with deterministic ids
// ("<prefix>-1", "<prefix>-2", …) that lists items in insertion order.
type Store[T any] struct {
	prefix string
	mu     sync.RWMutex
	seq    int
	items  map[string]T
	order  []string
}

// NewStore returns an empty store whose ids start with prefix.
func NewStore[T any](prefix string) *Store[T] {
	return &Store[T]{prefix: prefix, items: map[string]T{}}
}

// Add stores the item built by mk from a fresh id and returns it.
func (s *Store[T]) Add(mk func(id string) T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := s.prefix + "-" + strconv.Itoa(s.seq)
	v := mk(id)
	s.items[id] = v
	s.order = append(s.order, id)
	return v
}

// Get returns the item with id.
func (s *Store[T]) Get(id string) (T, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.items[id]
	return v, ok
}

// Delete removes the item with id and reports whether it existed.
func (s *Store[T]) Delete(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.items[id]; !ok {
		return false
	}
	delete(s.items, id)
	for i, o := range s.order {
		if o == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	return true
}

// List returns, in insertion order, up to limit items (all when limit <= 0)
// for which keep returns true (all when keep is nil).
func (s *Store[T]) List(limit int, keep func(T) bool) []T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []T{}
	for _, id := range s.order {
		v := s.items[id]
		if keep != nil && !keep(v) {
			continue
		}
		out = append(out, v)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}
