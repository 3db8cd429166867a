package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"
)

// store is a bounded map of short-lived secrets by random id (sessions,
// login transactions). Ids are kept as their SHA-256, so the table never
// holds a usable cookie value; an expired entry is gone. When full, expired
// entries are dropped, then the one closest to expiry.
type store[T any] struct {
	mu  sync.Mutex
	m   map[[32]byte]stored[T]
	max int
	now func() time.Time
}

type stored[T any] struct {
	v       T
	expires time.Time
}

func newStore[T any](max int, now func() time.Time) *store[T] {
	return &store[T]{m: map[[32]byte]stored[T]{}, max: max, now: now}
}

// put stores v under a new random id for ttl and returns the id.
func (s *store[T]) put(v T, ttl time.Duration) string {
	id := randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.m) >= s.max {
		var soonest [32]byte
		var at time.Time
		for k, e := range s.m {
			if !e.expires.After(now) {
				delete(s.m, k)
			} else if at.IsZero() || e.expires.Before(at) {
				soonest, at = k, e.expires
			}
		}
		if len(s.m) >= s.max {
			delete(s.m, soonest)
		}
	}
	s.m[sha256.Sum256([]byte(id))] = stored[T]{v: v, expires: now.Add(ttl)}
	return id
}

// get returns the entry of id while it lives.
func (s *store[T]) get(id string) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := sha256.Sum256([]byte(id))
	e, ok := s.m[k]
	if ok && !e.expires.After(s.now()) {
		delete(s.m, k)
		ok = false
	}
	return e.v, ok
}

// take returns the entry of id and removes it (single use).
func (s *store[T]) take(id string) (T, bool) {
	v, ok := s.get(id)
	s.remove(id)
	return v, ok
}

func (s *store[T]) remove(id string) {
	s.mu.Lock()
	delete(s.m, sha256.Sum256([]byte(id)))
	s.mu.Unlock()
}

// randomToken is 32 random bytes, base64url without padding (43 chars).
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// equalSecret compares in constant time; empty never matches.
func equalSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
