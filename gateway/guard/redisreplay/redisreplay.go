// Package redisreplay is a guard.ReplayStore in Redis, shared by every
// instance of a service, so that an entry-hop identity is single-use across
// instances and the forwarded-use cap is counted across them too (the
// default in-memory store counts per instance).
//
//	w := guard.NewHandlerWrapper(guard.WithPublicKey(pub), guard.WithServer(srv),
//		guard.WithReplayStore(redisreplay.New(rdb)))
//
// Each key is one Redis key, counted with INCR and, on its first use, given
// the identity's expiry with PEXPIREAT, in one Lua script (atomic: two
// instances racing on one identity see 1 and 2). Redis evicts nothing it
// should keep as long as it is not configured with an eviction policy that
// drops keys with an expiry (volatile-*, allkeys-*); use noeviction.
package redisreplay

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tracegate/tracegate/gateway/guard"
)

// DefaultPrefix prefixes every key the store writes.
const DefaultPrefix = "tracegate:replay:"

// use increments a key and sets its absolute expiry on the first use.
var use = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
return n
`)

// Store is a guard.ReplayStore in Redis. Safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ guard.ReplayStore = (*Store)(nil)

// New returns a store on rdb with DefaultPrefix; a non-empty prefix
// replaces it (one per deployment sharing a Redis).
func New(rdb redis.UniversalClient, prefix ...string) *Store {
	s := &Store{rdb: rdb, prefix: DefaultPrefix}
	if len(prefix) > 0 && prefix[0] != "" {
		s.prefix = prefix[0]
	}
	return s
}

// Use implements guard.ReplayStore. A Redis error is returned (the guard
// then refuses the call: fail closed).
func (s *Store) Use(ctx context.Context, key string, expires time.Time) (int64, error) {
	n, err := use.Run(ctx, s.rdb, []string{s.prefix + key}, expires.UnixMilli()).Int64()
	if err != nil {
		return 0, fmt.Errorf("redisreplay: %w", err)
	}
	return n, nil
}
