package policy

import (
	"slices"
)

// MaxDownstream bounds how many endpoints [ResolveDownstream] returns; a
// longer closure is cut (the endpoints past the cut are then refused at
// their hop, fail closed).
const MaxDownstream = 64

// Downstream is an endpoint a tool call may reach after the entry hop.
type Downstream struct {
	// Endpoint is the canonical name, "<service>.<Handler>.<Method>".
	Endpoint string
	// Scopes are the scopes the endpoint's service declares for it (its
	// tool contract). Gateway overrides do not apply: a forwarded hop is
	// checked by the downstream guard against these declared scopes.
	Scopes []string
}

// ResolveDownstream returns the endpoints reachable from calls (the
// downstream endpoints an entry endpoint declares through tool.Calls): each
// one, then the ones it declares, and so on, breadth first, each once, at
// most [MaxDownstream]. lookup returns an endpoint's declared scopes and
// calls; an endpoint it does not know (ok false) is kept with no scopes and
// no further calls, so a forwarded hop there that requires a scope is
// refused.
func ResolveDownstream(calls []string, lookup func(endpoint string) (scopes, calls []string, ok bool)) []Downstream {
	var out []Downstream
	seen := map[string]bool{}
	queue := slices.Clone(calls)
	for len(queue) > 0 && len(out) < MaxDownstream {
		name := queue[0]
		queue = queue[1:]
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		d := Downstream{Endpoint: name}
		if lookup != nil {
			if scopes, next, ok := lookup(name); ok {
				d.Scopes = slices.Clone(scopes)
				queue = append(queue, next...)
			}
		}
		out = append(out, d)
	}
	return out
}

// DownstreamNames returns the endpoint names of ds, for
// [IdentityRequest.Downstream].
func DownstreamNames(ds []Downstream) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Endpoint)
	}
	return out
}

// RequestedScopes returns the scopes an identity for a call of the tool
// with requirement req may carry at most: the tool's effective scopes
// (req.Scopes, after gateway overrides) ∪ the declared scopes of its
// downstream endpoints, sorted, without duplicates. Without authentication
// (anonymous development mode) this is what the identity carries.
func RequestedScopes(req Requirement, downstream []Downstream) []string {
	all := slices.Clone(req.Scopes)
	for _, d := range downstream {
		all = append(all, d.Scopes...)
	}
	return sortedSet(all)
}

// IdentityScopes returns the scopes a downstream identity carries for a
// call by a principal holding granted: the [RequestedScopes] that granted
// covers — held exactly, or through a "prefix:*" or "*" grant when the
// policy allows wildcards (as [ScopePolicy.Authorize] decides). Nothing
// else: a wildcard grant is never copied into an identity, only the
// concrete scopes it covers, so a downstream guard compares names exactly.
// It is a pure function of its arguments and the policy's configuration.
func (p *ScopePolicy) IdentityScopes(granted []string, req Requirement, downstream []Downstream) []string {
	var out []string
	for _, want := range RequestedScopes(req, downstream) {
		if _, ok := p.grantFor(granted, want); ok {
			out = append(out, want)
		}
	}
	return out
}
