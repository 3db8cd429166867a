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

// LimitOutcome is the result of Limiter.Allow. When denied, Kind, Limit and
// Burst describe the bucket that refused and RetryAfter when it refills.
// Err is set when the backend failed; Allowed then reflects the fail mode.
type LimitOutcome struct {
	Allowed    bool
	Kind       LimitKind
	Limit      float64 // events per second
	Burst      int
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
	key   string
	limit Limit
}

// buckets lists the configured buckets for (account, tool), in check order.
func (c *compiledLimits) buckets(account, tool string) []bucketSpec {
	out := make([]bucketSpec, 0, 3)
	if l, ok := c.tool.lookup(tool); ok && l.enabled() {
		out = append(out, bucketSpec{KindTool, "t\x00" + tool, l})
	}
	if c.account.enabled() {
		out = append(out, bucketSpec{KindAccount, "a\x00" + account, c.account})
	}
	if l, ok := c.accountTool.lookup(tool); ok && l.enabled() {
		out = append(out, bucketSpec{KindAccountTool, "x\x00" + account + "\x00" + tool, l})
	}
	return out
}

func denied(b bucketSpec, retry time.Duration) LimitOutcome {
	return LimitOutcome{Kind: b.kind, Limit: b.limit.Rate, Burst: b.limit.Burst, RetryAfter: retry}
}
