package gateway

import (
	"context"

	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
)

// identityRequest says what the downstream identity of a dispatch of e
// carries: the entry endpoint, the endpoints it may reach after it (e's
// declared calls, transitively), the principal's scopes within the tool's
// effective requirement and those endpoints' declared scopes (all requested
// scopes without authentication), the call's trace id, and a lifetime
// bounded by the tool's timeout.
func (g *Gateway) identityRequest(ctx context.Context, a admission, e *toolEntry) policy.IdentityRequest {
	ds := g.catalog.downstream(e)
	var scopes []string
	switch {
	case a.Decision == nil || !a.Decision.Allowed:
	case a.Decision.Reason == reason.Anonymous:
		scopes = policy.RequestedScopes(a.Requirement, ds)
	default:
		scopes = g.admitter.scopes.IdentityScopes(a.Principal.Scopes, a.Requirement, ds)
	}
	return policy.IdentityRequest{
		Principal:  a.Principal,
		Tool:       e.Canonical,
		Audience:   e.Service,
		TraceID:    trace.SpanContextFromContext(ctx).TraceID().String(),
		Scopes:     scopes,
		Downstream: policy.DownstreamNames(ds),
		TTL:        e.Timeout,
	}
}
