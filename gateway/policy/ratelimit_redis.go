package policy

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
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

// WithRedisTimeout bounds each Allow's Redis work (default 50ms). For the
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
	rc := redisConfig{fail: FailClosed, timeout: 50 * time.Millisecond, prefix: "tracegate:"}
	for _, o := range opts {
		if o != nil {
			o.applyRedis(&rc)
		}
	}
	return &RedisLimiter{limits: cl, rl: redis_rate.NewLimiter(client), cfg: rc}, nil
}

// gcra expresses a Limit exactly: GCRA only uses the emission interval
// period/rate, so one event per 1/Rate seconds with the same burst.
func gcra(l Limit) redis_rate.Limit {
	return redis_rate.Limit{Rate: 1, Burst: l.Burst, Period: time.Duration(float64(time.Second) / l.Rate)}
}

// Allow checks every applicable bucket. With several buckets it first peeks
// at all of them (cost 0) and consumes only when all have a token, so a
// refusal by one does not drain the others (a concurrent replica can still
// race between peek and take). A Redis failure yields the fail mode.
func (l *RedisLimiter) Allow(ctx context.Context, account, tool string) LimitOutcome {
	specs := l.limits.buckets(account, tool)
	if len(specs) == 0 {
		return LimitOutcome{Allowed: true}
	}
	ctx, cancel := context.WithTimeout(ctx, l.cfg.timeout)
	defer cancel()
	if len(specs) > 1 {
		for _, b := range specs {
			res, err := l.rl.AllowN(ctx, l.cfg.prefix+b.key, gcra(b.limit), 0)
			if err != nil {
				return l.failed(b, err)
			}
			if res.Remaining < 1 {
				interval := time.Duration(float64(time.Second) / b.limit.Rate)
				return denied(b, max(res.ResetAfter-time.Duration(b.limit.Burst-1)*interval, time.Millisecond))
			}
		}
	}
	for _, b := range specs {
		res, err := l.rl.AllowN(ctx, l.cfg.prefix+b.key, gcra(b.limit), 1)
		if err != nil {
			return l.failed(b, err)
		}
		if res.Allowed < 1 {
			return denied(b, res.RetryAfter)
		}
	}
	return LimitOutcome{Allowed: true}
}

func (l *RedisLimiter) failed(b bucketSpec, err error) LimitOutcome {
	o := LimitOutcome{
		Allowed: l.cfg.fail == FailOpen,
		Kind:    b.kind,
		Limit:   b.limit.Rate,
		Burst:   b.limit.Burst,
		Err:     fmt.Errorf("redis rate limit %s: %w", b.kind, err),
	}
	return o
}

// Close is a no-op: the caller owns the Redis client.
func (l *RedisLimiter) Close() error { return nil }
