package ratestore

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const sec = int64(time.Second)

func TestBucketsGCRA(t *testing.T) {
	r := RateOf(2, 3) // one token every 500ms, three at once
	steps := []struct {
		at    int64 // ns
		ok    bool
		left  int
		retry time.Duration
	}{
		{0, true, 2, 0},
		{0, true, 1, 0},
		{0, true, 0, 0},
		{0, false, 0, 500 * time.Millisecond},
		{sec / 4, false, 0, 250 * time.Millisecond}, // a refusal changes nothing
		{sec / 2, true, 0, 0},
		{sec / 2, false, 0, 500 * time.Millisecond},
		{10 * sec, true, 2, 0}, // refilled, never more than the burst
	}
	b := NewBuckets[string](0)
	for i, s := range steps {
		got := b.Take("k", s.at, r)
		if got.OK != s.ok || got.Left != s.left || got.RetryAfter != s.retry {
			t.Fatalf("step %d at %dns: got %+v, want ok=%v left=%d retry=%s", i, s.at, got, s.ok, s.left, s.retry)
		}
	}
}

// A caller whose clock reading is older than one the shard has already
// seen (it was delayed between reading the clock and taking the lock) is
// served as arriving now, not refused for being in the past.
func TestBucketsStaleClock(t *testing.T) {
	r := RateOf(1e6, 1e6) // a TAT at most one second ahead
	b := NewBuckets[string](0)
	if !b.Take("k", 5*sec, r).OK {
		t.Fatal("first take refused")
	}
	if got := b.Take("k", 3*sec, r); !got.OK || got.Left != 1e6-2 {
		t.Fatalf("take read 2s before the previous one: %+v", got)
	}
	b.GiveBack("k", 0, r)
	if got := b.Take("k", 0, r); !got.OK || got.Left != 1e6-2 {
		t.Fatalf("after a give-back with a stale clock: %+v", got)
	}
}

func TestBucketsGiveBack(t *testing.T) {
	r := RateOf(0.001, 2)
	b := NewBuckets[string](0)
	b.Take("k", 0, r)
	b.Take("k", 0, r)
	if b.Take("k", 0, r).OK {
		t.Fatal("third take of a burst of 2 allowed")
	}
	b.GiveBack("k", 0, r)
	if got := b.Take("k", 0, r); !got.OK || got.Left != 0 {
		t.Fatalf("after one token given back: %+v", got)
	}
	b.GiveBack("k", 0, r)
	b.GiveBack("k", 0, r)
	if b.Len() != 0 {
		t.Fatalf("a bucket given back to full is still held (Len %d)", b.Len())
	}
	b.GiveBack("absent", 0, r) // no bucket, nothing to give back to
	if b.Len() != 0 {
		t.Fatal("GiveBack created a bucket")
	}
}

func TestBucketsHugeBurstNoOverflow(t *testing.T) {
	b := NewBuckets[string](0)
	for _, r := range []Rate{RateOf(0.001, math.MaxInt32), RateOf(1e12, 1), RateOf(1e-9, 1<<40)} {
		if got := b.Take(fmt.Sprint(r), 1<<50, r); !got.OK || got.Left < 0 {
			t.Fatalf("%+v: %+v", r, got)
		}
	}
}

// Below the bound no live bucket is ever evicted; refilled ones are dropped
// as new keys arrive; at the bound the count never exceeds it.
func TestBucketsEviction(t *testing.T) {
	r := RateOf(1, 1)
	b := NewBuckets[int](1000)
	for k := range 100 {
		b.Take(k, 0, r)
	}
	for k := 100; k < 200; k++ {
		b.Take(k, 3600*sec, r) // the first 100 are full again by now
	}
	if got := b.Len(); got != 100 {
		t.Fatalf("Len = %d, want 100: the refilled buckets are dropped before the table grows", got)
	}
	for k := 100; k < 200; k++ {
		if b.Take(k, 3600*sec, r).OK {
			t.Fatalf("bucket %d lost its state below the bound", k)
		}
	}

	for _, bound := range []int{10, 100} {
		small := NewBuckets[int](bound)
		for k := range 10_000 {
			small.Take(k, int64(k), r)
			if got := small.Len(); got > bound {
				t.Fatalf("Len = %d after %d keys, bound %d", got, k+1, bound)
			}
		}
	}
}

func TestBucketsNearest(t *testing.T) {
	r := RateOf(0.001, 20)
	b := NewBuckets[int](1000) // one shard: 8 watched buckets
	for k := range 12 {
		for range k + 1 {
			b.Take(k, 0, r)
		}
	}
	got := b.Nearest(5, 0)
	if len(got) != 5 {
		t.Fatalf("Nearest(5) = %d entries", len(got))
	}
	for i, g := range got {
		if want := 11 - i; g.Key != want || g.Tokens != float64(19-want) || g.Rate != r {
			t.Fatalf("Nearest[%d] = %+v, want key %d with %d tokens", i, g, want, 19-want)
		}
	}
	if all := b.Nearest(100, 0); len(all) != watchSlots {
		t.Fatalf("Nearest(100) = %d entries, want the %d watched", len(all), watchSlots)
	}
	if full := b.Nearest(5, 1<<62); len(full) != 0 {
		t.Fatalf("refilled buckets listed: %+v", full)
	}
}

// With many shards and many callers, the few that used most of their
// burst are the ones listed.
func TestBucketsNearestSharded(t *testing.T) {
	r := RateOf(0.001, 10)
	b := NewBuckets[string](100_000)
	for i := range 5000 {
		b.Take(fmt.Sprint("light-", i), 0, r)
	}
	for i := range 3 {
		for range 9 - i {
			b.Take(fmt.Sprint("heavy-", i), 0, r)
		}
	}
	got := b.Nearest(3, 0)
	for i, g := range got {
		if want := fmt.Sprint("heavy-", i); g.Key != want || g.Tokens != float64(1+i) {
			t.Fatalf("Nearest[%d] = %+v, want %s with %d tokens", i, g, want, 1+i)
		}
	}
	if len(got) != 3 {
		t.Fatalf("Nearest(3) = %+v", got)
	}
}

func TestBucketsConcurrentSafe(t *testing.T) {
	r := RateOf(0.001, 50)
	b := NewBuckets[string](100_000)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				now := time.Now().UnixNano()
				if b.Take("shared", now, r).OK {
					allowed.Add(1)
				}
				b.Take(fmt.Sprint(g, "-", i), now, r)
				if i%10 == 0 {
					b.Nearest(3, now)
				}
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 50 {
		t.Fatalf("allowed %d takes from a burst of 50", got)
	}
}
