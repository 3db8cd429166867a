package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/tracegate/tracegate/gateway/policy"
)

// ErrLimitsExternal: the rate limits are served by a limiter the gateway was
// given (Options.Limiter, e.g. Redis shared by replicas) and cannot be
// changed while it runs.
var ErrLimitsExternal = errors.New("gateway: rate limits are served by an external limiter (Options.Limiter); change them where it is built and restart")

// policySnapshot is one version of the decision policy: the scope policy,
// the limiter and the hash audit records name it by. It never changes once
// built; a change builds a new snapshot and swaps it in whole
// ([policyStore]), and every request loads the snapshot once into its
// exchange, so no request is decided on a half-applied policy.
type policySnapshot struct {
	cfg     policy.Config
	scopes  *policy.ScopePolicy
	limiter policy.Limiter // nil: no limits
	hash    string
}

// policyStore holds the current policy snapshot.
type policyStore struct {
	cur atomic.Pointer[policySnapshot]
	// external is Options.Limiter: used by every snapshot, never closed
	// here, and its limits cannot be changed.
	external policy.Limiter
}

// newPolicyStore builds the first snapshot from cfg.
func newPolicyStore(cfg policy.Config, external policy.Limiter) (*policyStore, error) {
	s := &policyStore{external: external}
	snap, err := s.build(cfg)
	if err != nil {
		return nil, err
	}
	s.cur.Store(snap)
	return s, nil
}

// load returns the current snapshot.
func (s *policyStore) load() *policySnapshot { return s.cur.Load() }

// build validates cfg and compiles a snapshot. The limiter of the current
// snapshot is kept when the limits did not change, so a scope edit does not
// refill every bucket; new limits start from full buckets.
func (s *policyStore) build(cfg policy.Config) (*policySnapshot, error) {
	scopes, err := policy.NewScopePolicy(cfg.Scopes)
	if err != nil {
		return nil, fmt.Errorf("gateway: scopes: %w", err)
	}
	if err := cfg.RateLimit.Validate(); err != nil {
		return nil, fmt.Errorf("gateway: rate limit: %w", err)
	}
	snap := &policySnapshot{cfg: cfg, scopes: scopes, hash: hashPolicy(cfg)}
	prev := s.cur.Load()
	sameLimits := prev != nil && reflect.DeepEqual(prev.cfg.RateLimit, cfg.RateLimit)
	switch {
	case s.external != nil:
		if prev != nil && !sameLimits {
			return nil, ErrLimitsExternal
		}
		snap.limiter = s.external
	case sameLimits:
		snap.limiter = prev.limiter
	case cfg.RateLimit.Enabled():
		l, err := policy.NewMemoryLimiter(cfg.RateLimit)
		if err != nil {
			return nil, fmt.Errorf("gateway: rate limit: %w", err)
		}
		snap.limiter = l
	}
	return snap, nil
}

// swap makes next current and returns the snapshot it replaced. A limiter
// that next no longer uses is closed once the requests holding it are done
// with it: the in-memory limiter's Close does nothing, so it is simply left
// to the collector.
func (s *policyStore) swap(next *policySnapshot) *policySnapshot { return s.cur.Swap(next) }

// close closes the current limiter when the gateway built it.
func (s *policyStore) close() error {
	if snap := s.cur.Load(); snap != nil && snap.limiter != nil && s.external == nil {
		return snap.limiter.Close()
	}
	return nil
}

// hashPolicy identifies a policy configuration in audit records and
// decision events: the first 16 hex digits of the SHA-256 of its JSON.
func hashPolicy(p policy.Config) string {
	b, _ := json.Marshal(p)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// policyOf is the snapshot ex was decided under; a request refused before
// admission loaded one (a record written outside a request) gets the
// current one.
func (s *policyStore) policyOf(ex *exchange) *policySnapshot {
	if ex != nil && ex.policy != nil {
		return ex.policy
	}
	return s.load()
}
