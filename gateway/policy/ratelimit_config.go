package policy

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Limit is a token bucket: Rate events per second, Burst at once. A zero
// Rate disables it.
type Limit struct {
	Rate  float64 `yaml:"rate" json:"rate"`
	Burst int     `yaml:"burst" json:"burst"`
}

func (l Limit) enabled() bool { return l.Rate > 0 }

func (l Limit) validate() error {
	if l.Rate == 0 && l.Burst == 0 {
		return nil
	}
	if l.Rate <= 0 || math.IsInf(l.Rate, 0) || math.IsNaN(l.Rate) || l.Burst < 1 {
		return fmt.Errorf("%w: rate %g, burst %d (need rate > 0, burst >= 1)", ErrInvalidLimit, l.Rate, l.Burst)
	}
	return nil
}

// ToolLimit is a Limit for tools matching Tool (exact name or glob; same
// precedence as scope overrides).
type ToolLimit struct {
	Tool  string `yaml:"tool" json:"tool"`
	Limit `yaml:",inline"`
}

// RateLimitConfig configures the limiters; everything is off by default.
type RateLimitConfig struct {
	Tools       []ToolLimit `yaml:"tools" json:"tools,omitempty"`               // per tool, all accounts together
	Account     Limit       `yaml:"account" json:"account"`                     // per account, all tools together
	AccountTool []ToolLimit `yaml:"account_tool" json:"account_tool,omitempty"` // per account and tool ("*" for every tool)
	// MaxEntries bounds the in-memory buckets that are not full (default
	// 2,000,000: one million callers through an account and an account×tool
	// limit, ~50 MiB at most, measured by TestLimiterMemory1MAccounts); a
	// bucket that has refilled holds nothing and is dropped. IdleTTL (default
	// 10m) is kept for compatibility: the GCRA memory limiter needs no idle
	// clock, since a bucket left alone for burst/rate is full and dropped.
	MaxEntries int           `yaml:"max_entries" json:"max_entries,omitempty"`
	IdleTTL    time.Duration `yaml:"idle_ttl" json:"idle_ttl,omitempty"`
}

// DefaultRateLimitConfig has no limits.
func DefaultRateLimitConfig() RateLimitConfig {
	return RateLimitConfig{MaxEntries: 2_000_000, IdleTTL: 10 * time.Minute}
}

// Enabled reports whether any limit is configured.
func (c RateLimitConfig) Enabled() bool {
	return len(c.Tools) > 0 || c.Account.enabled() || len(c.AccountTool) > 0
}

// Validate reports every configuration error, joined.
func (c RateLimitConfig) Validate() error {
	var errs []error
	for name, list := range map[string][]ToolLimit{"tools": c.Tools, "account_tool": c.AccountTool} {
		for i, t := range list {
			if err := validatePattern(t.Tool); err != nil {
				errs = append(errs, fmt.Errorf("%s[%d]: %w", name, i, err))
			}
			if err := t.validate(); err != nil {
				errs = append(errs, fmt.Errorf("%s[%d]: %w", name, i, err))
			}
		}
	}
	if err := c.Account.validate(); err != nil {
		errs = append(errs, fmt.Errorf("account: %w", err))
	}
	if c.MaxEntries < 0 || c.IdleTTL < 0 {
		errs = append(errs, fmt.Errorf("%w: negative max_entries or idle_ttl", ErrInvalidLimit))
	}
	return errors.Join(errs...)
}

type compiledLimits struct {
	tool, accountTool *toolMatcher[Limit]
	account           Limit
}

func compileLimits(c RateLimitConfig) (*compiledLimits, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	cl := &compiledLimits{
		tool:        newToolMatcher[Limit](len(c.Tools)),
		accountTool: newToolMatcher[Limit](len(c.AccountTool)),
		account:     c.Account,
	}
	for _, t := range c.Tools {
		cl.tool.add(t.Tool, t.Limit)
	}
	for _, t := range c.AccountTool {
		cl.accountTool.add(t.Tool, t.Limit)
	}
	return cl, nil
}
