package policy

import (
	"errors"
	"fmt"
)

// Config is the policy section of the gateway configuration; plain data,
// YAML-loadable.
type Config struct {
	Scopes    ScopeConfig     `yaml:"scopes" json:"scopes"`
	RateLimit RateLimitConfig `yaml:"rate_limit" json:"rate_limit"`
	// ListUncallable lists, in tools/list, the tools a caller cannot call,
	// with the scopes they need in the tool's _meta
	// ("io.tracegate/required-scopes"), so a standard client can step up;
	// by default such tools are hidden.
	ListUncallable bool `yaml:"list_uncallable" json:"list_uncallable"`
}

// DefaultConfig returns DefaultScopeConfig and DefaultRateLimitConfig.
func DefaultConfig() Config {
	return Config{Scopes: DefaultScopeConfig(), RateLimit: DefaultRateLimitConfig()}
}

// Validate validates both sections.
func (c Config) Validate() error {
	var errs []error
	if err := c.Scopes.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("scopes: %w", err))
	}
	if err := c.RateLimit.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("rate_limit: %w", err))
	}
	return errors.Join(errs...)
}
