package policy

import (
	"errors"
	"fmt"
)

// MatchMode says how many required scopes a principal must hold.
type MatchMode string

// Match modes.
const (
	ModeAny MatchMode = "any" // at least one required scope (default)
	ModeAll MatchMode = "all" // every required scope
)

// UnscopedPolicy decides calls to tools that require no scope.
type UnscopedPolicy string

// Unscoped policies.
const (
	UnscopedAuthenticated UnscopedPolicy = "authenticated" // any valid principal (go-micro's behaviour)
	UnscopedDeny          UnscopedPolicy = "deny"
)

// ScopeConfig is the gateway's scope policy; plain data, YAML-loadable.
type ScopeConfig struct {
	// Overrides replace the scopes a service declares, by exact tool name or
	// glob ("posts.Posts.*"); see Resolve for the precedence.
	Overrides []ScopeOverride `yaml:"overrides" json:"overrides,omitempty"`
	// Default scopes apply to tools that declare none and match no override.
	Default []string `yaml:"default" json:"default,omitempty"`
	// Mode is the match mode when an override does not set one.
	Mode MatchMode `yaml:"mode" json:"mode,omitempty"`
	// Unscoped decides tools left without any required scope.
	Unscoped UnscopedPolicy `yaml:"unscoped" json:"unscoped,omitempty"`
	// Wildcards lets a granted "prefix:*" satisfy any "prefix:…" scope.
	Wildcards bool `yaml:"wildcards" json:"wildcards"`
	// Star lets a granted "*" satisfy every scope.
	Star bool `yaml:"star" json:"star"`
}

// ScopeOverride sets the required scopes and/or match mode of tools. With no
// Scopes it changes only the mode of the scopes the service declares.
type ScopeOverride struct {
	Tool   string    `yaml:"tool" json:"tool"`
	Scopes []string  `yaml:"scopes" json:"scopes,omitempty"`
	Mode   MatchMode `yaml:"mode" json:"mode,omitempty"`
}

// DefaultScopeConfig: services' declared scopes, any-of, unscoped tools open
// to any authenticated principal, "prefix:*" wildcards on, "*" off.
func DefaultScopeConfig() ScopeConfig {
	return ScopeConfig{Mode: ModeAny, Unscoped: UnscopedAuthenticated, Wildcards: true}
}

// Validate reports every configuration error, joined.
func (c ScopeConfig) Validate() error {
	var errs []error
	if err := validMode(c.Mode); err != nil {
		errs = append(errs, err)
	}
	switch c.Unscoped {
	case "", UnscopedAuthenticated, UnscopedDeny:
	default:
		errs = append(errs, fmt.Errorf("%w: %q", ErrInvalidUnscoped, c.Unscoped))
	}
	for i, o := range c.Overrides {
		if err := validatePattern(o.Tool); err != nil {
			errs = append(errs, fmt.Errorf("overrides[%d]: %w", i, err))
		}
		if err := validMode(o.Mode); err != nil {
			errs = append(errs, fmt.Errorf("overrides[%d]: %w", i, err))
		}
		for _, s := range o.Scopes {
			if s == "" {
				errs = append(errs, fmt.Errorf("overrides[%d]: %w", i, ErrEmptyScope))
			}
		}
	}
	return errors.Join(errs...)
}

func validMode(m MatchMode) error {
	switch m {
	case "", ModeAny, ModeAll:
		return nil
	}
	return fmt.Errorf("%w: %q", ErrInvalidMode, m)
}
