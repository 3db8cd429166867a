package policy

import (
	"fmt"
	"github.com/tracegate/tracegate/gateway/reason"
	"slices"
	"strings"
)

// Requirement is what a tool needs: scopes, how many of them, and where the
// requirement came from.
type Requirement struct {
	Tool   string
	Scopes []string
	Mode   MatchMode
	Source string // SourceService, SourceOverride or SourceDefault
}

// Requirement sources.
const (
	SourceService  = "service"
	SourceOverride = "override"
	SourceDefault  = "default"
)

// Decision is the outcome of Authorize.
type Decision struct {
	Allowed  bool
	Reason   reason.Reason
	Required []string
	Mode     MatchMode
	// Granted are the principal's scopes that matched (as granted, e.g.
	// "blog:*"); Satisfied are the required scopes they cover (e.g.
	// "blog:write"), which is what a downstream identity should carry.
	Granted   []string
	Satisfied []string
	Missing   []string
}

// Err returns nil when allowed, else an error wrapping ErrInsufficientScope
// or ErrUnscopedDenied.
func (d Decision) Err() error {
	switch {
	case d.Allowed:
		return nil
	case d.Reason == reason.UnscopedDenied:
		return ErrUnscopedDenied
	default:
		return fmt.Errorf("%w: missing %s of %q", ErrInsufficientScope, d.Mode, d.Missing)
	}
}

// ScopePolicy resolves and decides tool scopes. It is immutable and safe for
// concurrent use.
type ScopePolicy struct {
	cfg       ScopeConfig
	overrides *toolMatcher[ScopeOverride]
}

// NewScopePolicy validates cfg and compiles it. Empty Mode and Unscoped take
// their defaults.
func NewScopePolicy(cfg ScopeConfig) (*ScopePolicy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeAny
	}
	if cfg.Unscoped == "" {
		cfg.Unscoped = UnscopedAuthenticated
	}
	m := newToolMatcher[ScopeOverride](len(cfg.Overrides))
	for _, o := range cfg.Overrides {
		m.add(o.Tool, o)
	}
	return &ScopePolicy{cfg: cfg, overrides: m}, nil
}

// ParseScopes splits go-micro's comma-separated endpoint metadata "scopes"
// (also accepting spaces), trimming and dropping empties and duplicates.
func ParseScopes(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// Resolve returns the requirement of tool given the scopes its service
// declares. Precedence: an override matching the tool exactly, else the most
// specific matching pattern (see toolMatcher), replaces the declared scopes
// (Source "override"); an override without scopes only sets the mode. With
// no override scopes, declared scopes apply (Source "service"), else
// ScopeConfig.Default (Source "default").
func (p *ScopePolicy) Resolve(tool string, declared []string) Requirement {
	r := Requirement{Tool: tool, Mode: p.cfg.Mode}
	o, ok := p.overrides.lookup(tool)
	if ok && o.Mode != "" {
		r.Mode = o.Mode
	}
	switch {
	case ok && len(o.Scopes) > 0:
		r.Scopes, r.Source = slices.Clone(o.Scopes), SourceOverride
	case len(declared) > 0:
		r.Scopes, r.Source = slices.Clone(declared), SourceService
	default:
		r.Scopes, r.Source = slices.Clone(p.cfg.Default), SourceDefault
	}
	return r
}

// Authorize decides whether principal may call a tool with requirement req.
func (p *ScopePolicy) Authorize(pr Principal, req Requirement) Decision {
	d := Decision{Required: req.Scopes, Mode: req.Mode}
	if d.Mode == "" {
		d.Mode = p.cfg.Mode
	}
	if len(req.Scopes) == 0 {
		if p.cfg.Unscoped == UnscopedDeny {
			d.Reason = reason.UnscopedDenied
			return d
		}
		d.Allowed, d.Reason = true, reason.Authenticated
		return d
	}
	for _, want := range req.Scopes {
		g, ok := p.grantFor(pr.Scopes, want)
		if !ok {
			d.Missing = append(d.Missing, want)
			continue
		}
		d.Satisfied = append(d.Satisfied, want)
		if !slices.Contains(d.Granted, g) {
			d.Granted = append(d.Granted, g)
		}
	}
	if d.Mode == ModeAll {
		d.Allowed = len(d.Missing) == 0
	} else {
		d.Allowed = len(d.Satisfied) > 0
		if d.Allowed {
			d.Missing = nil
		}
	}
	d.Reason = reason.Granted
	if !d.Allowed {
		d.Reason = reason.InsufficientScope
	}
	return d
}

// CanList reports whether a tool should appear in tools/list for principal.
func (p *ScopePolicy) CanList(pr Principal, req Requirement) bool {
	return p.Authorize(pr, req).Allowed
}

// grantFor returns the granted scope covering want: an exact grant first,
// then "prefix:*" (Wildcards), then "*" (Star). A wanted scope that is not a
// valid scope token (RFC 6749 §3.3: NQCHAR, no spaces) is never covered: a
// service declaring "a:x other:admin" would otherwise be granted by "a:*"
// and the identity's space-separated scope claim would read as two scopes.
func (p *ScopePolicy) grantFor(granted []string, want string) (string, bool) {
	if !validScope(want) {
		return "", false
	}
	if slices.Contains(granted, want) {
		return want, true
	}
	for _, g := range granted {
		switch {
		case g == "*":
			if p.cfg.Star {
				return g, true
			}
		case p.cfg.Wildcards && strings.HasSuffix(g, ":*"):
			if strings.HasPrefix(want, g[:len(g)-1]) && len(want) > len(g)-1 {
				return g, true
			}
		}
	}
	return "", false
}
