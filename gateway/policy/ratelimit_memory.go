package policy

import (
	"context"
	"time"

	"github.com/tracegate/tracegate/gateway/policy/ratestore"
	"golang.org/x/time/rate"
)

// MemoryLimiter is an in-process Limiter with x/time/rate buckets held in a
// bounded LRU (RateLimitConfig.MaxEntries, IdleTTL). It starts no goroutine.
type MemoryLimiter struct {
	limits *compiledLimits
	store  *ratestore.Store
	now    func() time.Time
}

var _ Limiter = (*MemoryLimiter)(nil)

// NewMemoryLimiter validates cfg and returns a limiter.
func NewMemoryLimiter(cfg RateLimitConfig) (*MemoryLimiter, error) {
	cl, err := compileLimits(cfg)
	if err != nil {
		return nil, err
	}
	return &MemoryLimiter{
		limits: cl,
		store:  ratestore.New(cfg.MaxEntries, cfg.IdleTTL),
		now:    time.Now,
	}, nil
}

// Allow reserves one token from every applicable bucket; if any bucket
// cannot serve now, every reservation is cancelled (tokens restored) and the
// refusing bucket is reported.
func (l *MemoryLimiter) Allow(_ context.Context, account, tool string) LimitOutcome {
	now := l.now()
	specs := l.limits.buckets(account, tool)
	var held [3]*rate.Reservation
	for i, b := range specs {
		r := l.store.Get(b.key, now, rate.Limit(b.limit.Rate), b.limit.Burst).ReserveN(now, 1)
		delay := r.DelayFrom(now)
		if !r.OK() || delay > 0 {
			r.CancelAt(now)
			for j := range i {
				held[j].CancelAt(now)
			}
			return denied(b, delay)
		}
		held[i] = r
	}
	return LimitOutcome{Allowed: true}
}

// Len reports the number of buckets held (for tests and metrics).
func (l *MemoryLimiter) Len() int { return l.store.Len() }

// Close is a no-op: the limiter owns no goroutine.
func (l *MemoryLimiter) Close() error { return nil }
