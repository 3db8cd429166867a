package gateway

import (
	"context"
	"fmt"
	"log"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
)

// RedisSessionOption configures [NewRedisSessionStore].
type RedisSessionOption interface{ applySessions(*redisSessionConfig) }

type redisSessionOptionFunc func(*redisSessionConfig)

func (f redisSessionOptionFunc) applySessions(c *redisSessionConfig) { f(c) }

type redisSessionConfig struct {
	fail    policy.FailMode
	timeout time.Duration
	prefix  string
	logger  *log.Logger
}

// WithSessionFailMode decides requests on sessions when Redis cannot be
// reached: policy.FailClosed (default) refuses them with 503
// session_store_unavailable; policy.FailOpen serves any session whose sealed id
// opens, as if the store held it.
func WithSessionFailMode(m policy.FailMode) RedisSessionOption {
	return redisSessionOptionFunc(func(c *redisSessionConfig) { c.fail = m })
}

// WithSessionRedisTimeout bounds each store operation (default 1s: a
// session request refused for a slow moment of Redis costs the client more
// than the wait).
func WithSessionRedisTimeout(d time.Duration) RedisSessionOption {
	return redisSessionOptionFunc(func(c *redisSessionConfig) {
		if d > 0 {
			c.timeout = d
		}
	})
}

// WithSessionKeyPrefix namespaces the keys (default "tracegate:"); replicas
// of one deployment share it.
func WithSessionKeyPrefix(p string) RedisSessionOption {
	return redisSessionOptionFunc(func(c *redisSessionConfig) { c.prefix = p })
}

// WithSessionLogger receives store failures (default: discarded).
func WithSessionLogger(l *log.Logger) RedisSessionOption {
	return redisSessionOptionFunc(func(c *redisSessionConfig) {
		if l != nil {
			c.logger = l
		}
	})
}

// redisSessions is the [SessionStore] replicas share: two sorted sets of
// session handles scored by last-seen time (ms, Redis's clock, so replicas'
// clocks do not matter), one of all sessions and one per subject, changed
// only by Lua scripts (atomic: the caps cannot be overrun by concurrent
// replicas). A session is open while it is in the set and was seen within
// the idle timeout; DELETE removes it; expired members are removed when
// met. The keys share one hash tag, so the scripts also run on a cluster.
type redisSessions struct {
	rdb redis.UniversalClient
	cfg redisSessionConfig
}

// NewRedisSessionStore returns a session store in Redis, for
// [Options.SessionStore]; it needs Redis 6.2 or later. The caller owns the
// client (build it with
// ContextTimeoutEnabled so the timeout reaches socket reads).
func NewRedisSessionStore(rdb redis.UniversalClient, opts ...RedisSessionOption) SessionStore {
	c := redisSessionConfig{fail: policy.FailClosed, timeout: time.Second, prefix: "tracegate:",
		logger: log.New(discard{}, "", 0)}
	for _, o := range opts {
		if o != nil {
			o.applySessions(&c)
		}
	}
	return &redisSessions{rdb: rdb, cfg: c}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Scripts. KEYS[1] is the set of all sessions, KEYS[2] the subject's.
// ARGV[1] is the handle, ARGV[2] the idle timeout in ms (0: none).
var (
	// reserveScript: 0 reserved, 1 at the global cap, 2 at the subject's.
	reserveScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local idle = tonumber(ARGV[2])
if idle > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - idle))
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - idle))
end
if tonumber(ARGV[3]) > 0 and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
if tonumber(ARGV[4]) > 0 and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 2 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
if idle > 0 then redis.call('PEXPIRE', KEYS[2], idle * 2) end
return 0`)
	// useScript: 0 open (last-seen refreshed), 1 not held, 2 expired now.
	useScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local idle = tonumber(ARGV[2])
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not seen then return 1 end
if idle > 0 and tonumber(seen) < now - idle then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 2
end
redis.call('ZADD', KEYS[1], 'GT', now, ARGV[1])
redis.call('ZADD', KEYS[2], 'GT', now, ARGV[1])
if idle > 0 then redis.call('PEXPIRE', KEYS[2], idle * 2) end
return 0`)
)

func (r *redisSessions) keys(s *openSession) []string {
	p := r.cfg.prefix + "session:{s}:"
	return []string{p + "all", p + "subject:" + s.subjectKey()}
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

func (r *redisSessions) reserve(ctx context.Context, cfg SessionConfig, s *openSession) *verdict {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	n, err := reserveScript.Run(ctx, r.rdb, r.keys(s), s.handle, ms(cfg.IdleTimeout), cfg.MaxTotal, cfg.MaxPerSubject).Int()
	switch {
	case err != nil:
		return r.failed("reserve", err)
	case n == 1:
		return sessionsFull(fmt.Sprintf("the gateway's %d open sessions are its limit", cfg.MaxTotal))
	case n == 2:
		return sessionsFull(fmt.Sprintf("subject has %d open sessions, the limit", cfg.MaxPerSubject))
	}
	return nil
}

func (r *redisSessions) use(ctx context.Context, cfg SessionConfig, s *openSession) (*verdict, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	n, err := useScript.Run(ctx, r.rdb, r.keys(s), s.handle, ms(cfg.IdleTimeout)).Int()
	switch {
	case err != nil:
		return r.failed("use", err), nil
	case n != 0:
		return nil, errSessionEnded
	}
	return nil, nil
}

func (r *redisSessions) end(ctx context.Context, s *openSession) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.timeout)
	defer cancel()
	k := r.keys(s)
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, k[0], s.handle)
		p.ZRem(ctx, k[1], s.handle)
		return nil
	})
	if err != nil {
		r.cfg.logger.Printf("sessions: end %s in redis: %v", s.handle, err)
	}
}

func (r *redisSessions) alive(ctx context.Context, cfg SessionConfig, handles []string) map[string]bool {
	out := make(map[string]bool, len(handles))
	if len(handles) == 0 {
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout*10)
	defer cancel()
	all := r.cfg.prefix + "session:{s}:all"
	scores, err := r.rdb.ZMScore(ctx, all, handles...).Result()
	now, terr := r.rdb.Time(ctx).Result()
	if err != nil || terr != nil {
		r.cfg.logger.Printf("sessions: check %d sessions in redis: %v", len(handles), fmtErr(err, terr))
		for _, h := range handles { // keep them: the next request checks again
			out[h] = true
		}
		return out
	}
	cutoff := float64(now.UnixMilli() - ms(cfg.IdleTimeout))
	for i, h := range handles {
		if scores[i] > 0 && (cfg.IdleTimeout <= 0 || scores[i] >= cutoff) {
			out[h] = true
		}
	}
	return out
}

func fmtErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// failed is the answer when Redis cannot be reached: a 503 (fail-closed)
// or nil (fail-open: the sealed id is trusted).
func (r *redisSessions) failed(op string, err error) *verdict {
	r.cfg.logger.Printf("sessions: %s in redis: %v", op, err)
	if r.cfg.fail == policy.FailOpen {
		return nil
	}
	v := refuseWith(reason.SessionStoreUnavailable, "the shared session store is unavailable")
	v.retryAfter = time.Second
	return v
}

// String names the store in start-up logs.
func (r *redisSessions) String() string {
	return "redis (prefix " + strconv.Quote(r.cfg.prefix) + ")"
}
