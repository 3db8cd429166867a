package policy

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/tracegate/tracegate/gateway/policy/ratestore"
)

// FailMode decides calls when the shared backend cannot be reached.
type FailMode int

// Fail modes.
const (
	FailClosed FailMode = iota // refuse (LimitOutcome.Err set, ErrLimiterUnavailable)
	FailOpen                   // allow (LimitOutcome.Err set)
)

// RedisOption configures NewRedisLimiter.
type RedisOption interface{ applyRedis(*redisConfig) }

type redisOptionFunc func(*redisConfig)

func (f redisOptionFunc) applyRedis(c *redisConfig) { f(c) }

type redisConfig struct {
	fail    FailMode
	timeout time.Duration
	prefix  string
}

// WithFailMode sets the behaviour when Redis fails (default FailClosed).
func WithFailMode(m FailMode) RedisOption {
	return redisOptionFunc(func(c *redisConfig) { c.fail = m })
}

// WithRedisTimeout bounds each Allow's Redis work (default 250ms: long enough
// for a loaded host, short enough that a dead Redis fails a call fast). For the
// deadline to reach socket reads, build the client with
// ContextTimeoutEnabled: true.
func WithRedisTimeout(d time.Duration) RedisOption {
	return redisOptionFunc(func(c *redisConfig) {
		if d > 0 {
			c.timeout = d
		}
	})
}

// WithKeyPrefix namespaces the Redis keys (default "tracegate:").
func WithKeyPrefix(p string) RedisOption {
	return redisOptionFunc(func(c *redisConfig) { c.prefix = p })
}

// RedisLimiter is a Limiter shared by gateway replicas: GCRA buckets in Redis
// (github.com/go-redis/redis_rate). The caller owns the Redis client.
type RedisLimiter struct {
	limits *compiledLimits
	rl     *redis_rate.Limiter
	cfg    redisConfig
}

var _ Limiter = (*RedisLimiter)(nil)

// NewRedisLimiter validates cfg (MaxEntries and IdleTTL are unused: Redis
// expires idle keys itself) and returns a limiter over client.
func NewRedisLimiter(client redis.UniversalClient, cfg RateLimitConfig, opts ...RedisOption) (*RedisLimiter, error) {
	cl, err := compileLimits(cfg)
	if err != nil {
		return nil, err
	}
	rc := redisConfig{fail: FailClosed, timeout: 250 * time.Millisecond, prefix: "tracegate:"}
	for _, o := range opts {
		if o != nil {
			o.applyRedis(&rc)
		}
	}
	return &RedisLimiter{limits: cl, rl: redis_rate.NewLimiter(client), cfg: rc}, nil
}

// gcra expresses a Limit exactly: GCRA only uses the emission interval
// period/rate, so one event per 1/Rate seconds with the same burst; the
// interval is the one [MemoryLimiter] uses ([ratestore.RateOf]).
func gcra(l Limit) redis_rate.Limit {
	r := ratestore.RateOf(l.Rate, l.Burst)
	return redis_rate.Limit{Rate: 1, Burst: r.Burst, Period: r.Interval}
}

// Allow checks every applicable bucket. With several buckets it first peeks
// at all of them (cost 0) and consumes only when all have a token, so a
// refusal by one does not drain the others; if a concurrent replica empties
// a bucket between peek and take, the tokens already taken are given back
// (cost -1; redis_rate cannot return a token to a bucket that is within one
// interval of full, a bounded loss of one token in that race). An allowed
// outcome reports the tightest bucket, as [MemoryLimiter] does. A Redis
// failure yields the fail mode.
func (l *RedisLimiter) Allow(ctx context.Context, account, tool string) LimitOutcome {
	set := l.limits.buckets(tool)
	if set.n == 0 {
		return LimitOutcome{Allowed: true}
	}
	ctx, cancel := context.WithTimeout(ctx, l.cfg.timeout)
	defer cancel()
	specs := set.spec[:set.n]
	if len(specs) > 1 {
		for _, b := range specs {
			res, err := l.rl.AllowN(ctx, l.key(b, account, tool), gcra(b.limit), 0)
			if err != nil {
				return l.failed(b, err)
			}
			if redisTokens(b.limit, res.ResetAfter) < 1 {
				interval := gcra(b.limit).Period
				return denied(b, max(res.ResetAfter-time.Duration(b.limit.Burst-1)*interval, time.Millisecond))
			}
		}
	}
	var t tightest
	for i, b := range specs {
		res, err := l.rl.AllowN(ctx, l.key(b, account, tool), gcra(b.limit), 1)
		if err != nil {
			return l.failed(b, err)
		}
		if res.Allowed < 1 {
			for _, prev := range specs[:i] {
				_, _ = l.rl.AllowN(ctx, l.key(prev, account, tool), gcra(prev.limit), -1)
			}
			return denied(b, res.RetryAfter)
		}
		t.see(b, redisTokens(b.limit, res.ResetAfter))
	}
	return t.outcome()
}

// redisTokens is the whole tokens a bucket holds given redis_rate's
// ResetAfter (the time until it is full): Burst - ResetAfter/interval, with
// Redis's 1µs clock as tolerance. redis_rate's own Remaining is computed in
// Lua floats on seconds since 2017 and truncated, so it reads 0.9999999 as 0
// for intervals that are not dyadic fractions of a second (rate 3/s, burst
// 1: every peek said "empty" and every call through two buckets was
// refused); ResetAfter is returned as a string and keeps its precision.
func redisTokens(l Limit, resetAfter time.Duration) int {
	r := ratestore.RateOf(l.Rate, l.Burst)
	t := float64(r.Burst) - float64(resetAfter-time.Microsecond)/float64(r.Interval)
	return int(min(max(t, 0), float64(r.Burst)))
}

func (l *RedisLimiter) key(b bucketSpec, account, tool string) string {
	return keyOf(b.kind, account, tool).redisKey(l.cfg.prefix)
}

func (l *RedisLimiter) failed(b bucketSpec, err error) LimitOutcome {
	return LimitOutcome{
		Allowed: l.cfg.fail == FailOpen,
		Kind:    b.kind,
		Limit:   b.limit.Rate,
		Burst:   b.limit.Burst,
		Err:     fmt.Errorf("redis rate limit %s: %w", b.kind, err),
	}
}

// Close is a no-op: the caller owns the Redis client.
func (l *RedisLimiter) Close() error { return nil }
