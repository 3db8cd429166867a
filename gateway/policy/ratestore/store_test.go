package ratestore

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/time/rate"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStoreBounded(t *testing.T) {
	s := New(10, time.Hour)
	now := time.Now()
	for i := range 100 {
		s.Get(fmt.Sprint("k", i), now, 1, 1)
	}
	if got := s.Len(); got != 10 {
		t.Fatalf("Len = %d, want 10", got)
	}
}

func TestStoreReusesAndEvictsLRU(t *testing.T) {
	s := New(2, time.Hour)
	now := time.Now()
	a := s.Get("a", now, 1, 1)
	s.Get("b", now, 1, 1)
	if s.Get("a", now, 1, 1) != a {
		t.Fatal("same key must return the same limiter")
	}
	s.Get("c", now, 1, 1) // evicts b, the least recently used
	if s.Get("a", now, 1, 1) != a {
		t.Fatal("a was recently used and must survive")
	}
}

func TestStoreEvictsIdle(t *testing.T) {
	s := New(100, time.Minute)
	now := time.Now()
	s.Get("old1", now, 1, 1)
	s.Get("old2", now, 1, 1)
	s.Get("new", now.Add(2*time.Minute), 1, 1)
	if got := s.Len(); got != 1 {
		t.Fatalf("Len = %d, want 1 after idle eviction", got)
	}
}

func TestStoreNewLimiterHasFullBucket(t *testing.T) {
	s := New(0, 0)
	now := time.Now()
	l := s.Get("x", now, rate.Limit(1), 3)
	for i := range 3 {
		if !l.AllowN(now, 1) {
			t.Fatalf("request %d denied with a fresh bucket of 3", i)
		}
	}
	if l.AllowN(now, 1) {
		t.Fatal("4th request allowed")
	}
}

func TestStoreConcurrentSafe(t *testing.T) {
	s := New(5000, time.Minute)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				s.Get(fmt.Sprint(g, "-", i%700), time.Now(), 10, 10).Allow()
			}
		}()
	}
	wg.Wait()
	if s.Len() > 5000+64 {
		t.Fatalf("Len = %d exceeds bound", s.Len())
	}
}
