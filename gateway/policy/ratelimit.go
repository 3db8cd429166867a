package policy

import (
	"context"
	"fmt"
	"time"
)

// LimitKind names the bucket that decided a rate-limit outcome.
type LimitKind string

// Limit kinds, checked in this order.
const (
	KindTool        LimitKind = "tool"         // one bucket per tool, shared by all accounts
	KindAccount     LimitKind = "account"      // one bucket per account, across tools
	KindAccountTool LimitKind = "account_tool" // one bucket per account and tool
)

// LimitOutcome is the result of Limiter.Allow. Kind, Limit, Burst and
// Remaining describe one bucket: when denied, the bucket that refused (with
// RetryAfter until it holds a token again); when allowed, the tightest
// bucket that applied, the one with the fewest whole tokens left after this
// call (the first in check order on a tie); Kind is "" when no bucket
// applied. Err is set when the backend failed; Allowed then reflects the
// fail mode.
type LimitOutcome struct {
	Allowed    bool
	Kind       LimitKind
	Limit      float64 // events per second
	Burst      int
	Remaining  int // whole tokens left in that bucket after this call; 0 when denied
	RetryAfter time.Duration
	Err        error
}

// AsError returns nil when allowed, else an error wrapping ErrRateLimited
// (or ErrLimiterUnavailable when a failing backend closed the gate).
func (o LimitOutcome) AsError() error {
	switch {
	case o.Allowed:
		return nil
	case o.Err != nil:
		return fmt.Errorf("%w: %w", ErrLimiterUnavailable, o.Err)
	default:
		return fmt.Errorf("%w: %s bucket (%g/s, burst %d), retry after %s",
			ErrRateLimited, o.Kind, o.Limit, o.Burst, o.RetryAfter)
	}
}

// Limiter decides whether account may call tool now. All configured kinds
// are checked; when one refuses, tokens taken from the others are given
// back where the backend allows it.
type Limiter interface {
	Allow(ctx context.Context, account, tool string) LimitOutcome
	Close() error
}

// bucketSpec is one applicable bucket for a call.
type bucketSpec struct {
	kind  LimitKind
	limit Limit
}

// bucketSet is the applicable buckets of one call, in check order, without
// a heap allocation.
type bucketSet struct {
	spec [3]bucketSpec
	n    int
}

func (s *bucketSet) add(k LimitKind, l Limit) {
	s.spec[s.n] = bucketSpec{k, l}
	s.n++
}

// buckets lists the configured buckets for tool, in check order.
func (c *compiledLimits) buckets(tool string) bucketSet {
	var s bucketSet
	if l, ok := c.tool.lookup(tool); ok && l.enabled() {
		s.add(KindTool, l)
	}
	if c.account.enabled() {
		s.add(KindAccount, c.account)
	}
	if l, ok := c.accountTool.lookup(tool); ok && l.enabled() {
		s.add(KindAccountTool, l)
	}
	return s
}

// BucketLimit is one bucket kind that applies to a tool, with its limit.
type BucketLimit struct {
	Kind  LimitKind `json:"kind"`
	Limit Limit     `json:"limit"`
}

// LimitsFor lists the limits that apply to calls of tool, in check order
// (per tool, per account, per account and tool), with the precedence of
// Allow; none when c is invalid or sets none.
func (c RateLimitConfig) LimitsFor(tool string) []BucketLimit {
	cl, err := compileLimits(c)
	if err != nil {
		return nil
	}
	set := cl.buckets(tool)
	out := make([]BucketLimit, 0, set.n)
	for _, b := range set.spec[:set.n] {
		out = append(out, BucketLimit{Kind: b.kind, Limit: b.limit})
	}
	return out
}

// limitFor is the configured limit of a bucket kind for tool (zero when none).
func (c *compiledLimits) limitFor(k LimitKind, tool string) Limit {
	var l Limit
	switch k {
	case KindTool:
		l, _ = c.tool.lookup(tool)
	case KindAccount:
		l = c.account
	case KindAccountTool:
		l, _ = c.accountTool.lookup(tool)
	}
	return l
}

// bucketKey names one bucket; the fields a kind does not use are empty.
// The kind is a small code, not the LimitKind string, so hashing a key
// reads two strings, not three.
type bucketKey struct {
	kind          kindCode
	account, tool string
}

type kindCode uint8

const (
	codeTool kindCode = iota
	codeAccount
	codeAccountTool
)

var kindOfCode = [...]LimitKind{codeTool: KindTool, codeAccount: KindAccount, codeAccountTool: KindAccountTool}

func keyOf(k LimitKind, account, tool string) bucketKey {
	switch k {
	case KindTool:
		return bucketKey{kind: codeTool, tool: tool}
	case KindAccount:
		return bucketKey{kind: codeAccount, account: account}
	}
	return bucketKey{codeAccountTool, account, tool}
}

// redisKey is the bucket's key in Redis (unchanged since the first release,
// so replicas of different versions share buckets).
func (b bucketKey) redisKey(prefix string) string {
	switch b.kind {
	case codeTool:
		return prefix + "t\x00" + b.tool
	case codeAccount:
		return prefix + "a\x00" + b.account
	}
	return prefix + "x\x00" + b.account + "\x00" + b.tool
}

func denied(b bucketSpec, retry time.Duration) LimitOutcome {
	return LimitOutcome{Kind: b.kind, Limit: b.limit.Rate, Burst: b.limit.Burst, RetryAfter: retry}
}

// tightest collects the allowed outcome: the bucket with the fewest tokens
// left, the first on a tie.
type tightest struct{ o LimitOutcome }

func (t *tightest) see(b bucketSpec, left int) {
	if t.o.Kind == "" || left < t.o.Remaining {
		t.o = LimitOutcome{Allowed: true, Kind: b.kind, Limit: b.limit.Rate, Burst: b.limit.Burst, Remaining: left}
	}
}

func (t *tightest) outcome() LimitOutcome {
	t.o.Allowed = true
	return t.o
}
