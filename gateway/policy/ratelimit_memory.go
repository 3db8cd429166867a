package policy

import (
	"context"
	"time"

	"github.com/tracegate/tracegate/gateway/policy/ratestore"
)

// MemoryLimiter is an in-process Limiter: GCRA buckets (one int64 each) in
// a bounded, sharded table ([ratestore.Buckets]; RateLimitConfig.MaxEntries).
// A bucket is dropped as soon as it has refilled, which loses nothing, so
// IdleTTL needs no clock of its own here. It starts no goroutine. Its
// decisions equal [RedisLimiter]'s for the same sequence of calls.
type MemoryLimiter struct {
	limits *compiledLimits
	store  *ratestore.Buckets[bucketKey]
	now    func() time.Time
	epoch  time.Time // monotonic origin of the bucket clock
}

var _ Limiter = (*MemoryLimiter)(nil)

// NewMemoryLimiter validates cfg and returns a limiter.
func NewMemoryLimiter(cfg RateLimitConfig) (*MemoryLimiter, error) {
	cl, err := compileLimits(cfg)
	if err != nil {
		return nil, err
	}
	l := &MemoryLimiter{limits: cl, store: ratestore.NewBuckets[bucketKey](cfg.MaxEntries)}
	l.setClock(time.Now)
	return l, nil
}

// setClock replaces the clock (tests); buckets count from its current time.
func (l *MemoryLimiter) setClock(now func() time.Time) {
	l.now, l.epoch = now, now()
}

func (l *MemoryLimiter) nanos() int64 { return int64(l.now().Sub(l.epoch)) }

// Allow takes one token from every applicable bucket; if a bucket refuses,
// the tokens already taken are given back and the refusing bucket is
// reported. An allowed outcome reports the tightest bucket.
func (l *MemoryLimiter) Allow(_ context.Context, account, tool string) LimitOutcome {
	set := l.limits.buckets(tool)
	if set.n == 0 {
		return LimitOutcome{Allowed: true}
	}
	now := l.nanos()
	var t tightest
	for i := range set.n {
		b := set.spec[i]
		r := ratestore.RateOf(b.limit.Rate, b.limit.Burst)
		got := l.store.Take(keyOf(b.kind, account, tool), now, r)
		if !got.OK {
			for _, prev := range set.spec[:i] {
				l.store.GiveBack(keyOf(prev.kind, account, tool), now, ratestore.RateOf(prev.limit.Rate, prev.limit.Burst))
			}
			return denied(b, got.RetryAfter)
		}
		t.see(b, got.Left)
	}
	return t.outcome()
}

// BucketState is one bucket as [MemoryLimiter.Nearest] reports it: its kind,
// key (Account is "" for KindTool, Tool is "" for KindAccount), limit and
// the tokens it holds now, in [0, Burst).
type BucketState struct {
	Kind    LimitKind
	Account string
	Tool    string
	Limit   float64 // events per second
	Burst   int
	Tokens  float64
}

// Nearest lists up to n buckets that are not full, fewest tokens first:
// the callers closest to their limits (for the operator console). It reads
// a fixed set of watched buckets (8 per shard, kept by Allow at O(1) cost)
// and never scans the table, so it is cheap at any number of callers; a
// bucket is missed only while 8 closer ones in its shard are watched.
func (l *MemoryLimiter) Nearest(n int) []BucketState {
	got := l.store.Nearest(n, l.nanos())
	out := make([]BucketState, 0, len(got))
	for _, g := range got {
		kind := kindOfCode[g.Key.kind]
		lim := l.limits.limitFor(kind, g.Key.tool)
		out = append(out, BucketState{
			Kind: kind, Account: g.Key.account, Tool: g.Key.tool,
			Limit: lim.Rate, Burst: lim.Burst, Tokens: g.Tokens,
		})
	}
	return out
}

// Len reports the number of buckets held (for tests and metrics).
func (l *MemoryLimiter) Len() int { return l.store.Len() }

// Close is a no-op: the limiter owns no goroutine.
func (l *MemoryLimiter) Close() error { return nil }
