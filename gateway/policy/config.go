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
