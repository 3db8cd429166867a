package gateway

import (
	"context"
	"strings"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
)

// identityRequest says what the downstream identity of a dispatch of ex's
// tool carries: the entry endpoint, the endpoints it may reach after it (the
// tool's declared calls, transitively), the principal's scopes within the
// tool's effective requirement and those endpoints' declared scopes (all
// requested scopes without authentication), the call's trace id, and a
// lifetime bounded by the tool's timeout.
func (c *caller) identityRequest(ctx context.Context, ex *exchange) policy.IdentityRequest {
	e := ex.entry
	ds := c.catalog.downstream(e)
	var scopes []string
	switch d := ex.decision; {
	case d == nil || !d.Allowed:
	case d.Reason == reason.Anonymous:
		scopes = policy.RequestedScopes(ex.requirement, ds)
	default:
		scopes = ex.policy.scopes.IdentityScopes(ex.principal.Scopes, ex.requirement, ds)
	}
	return policy.IdentityRequest{
		Principal:  ex.principal,
		Tool:       e.Canonical,
		Audience:   e.Service,
		TraceID:    trace.SpanContextFromContext(ctx).TraceID().String(),
		Scopes:     scopes,
		Downstream: policy.DownstreamNames(ds),
		TTL:        e.Timeout,
	}
}

// mintPerAttempt returns a go-micro call wrapper that mints a fresh identity
// from req for every attempt of the call (go-micro runs call wrappers once
// per attempt, retries included) and puts it in the attempt's metadata
// under policy.IdentityMetadataKey, replacing any identity already there in
// whatever case. So a retry never presents an identity a guard has already
// consumed. A minting failure fails the attempt with Mint's error.
func mintPerAttempt(m *policy.Minter, req policy.IdentityRequest) client.CallWrapper {
	return func(next client.CallFunc) client.CallFunc {
		return func(ctx context.Context, node *registry.Node, r client.Request, rsp interface{}, opts client.CallOptions) error {
			token, err := m.Mint(req)
			if err != nil {
				return err
			}
			return next(withIdentity(ctx, token), node, r, rsp, opts)
		}
	}
}

// withIdentity returns ctx whose go-micro metadata carries token under
// exactly one key, policy.IdentityMetadataKey.
func withIdentity(ctx context.Context, token string) context.Context {
	md := metadata.Metadata{}
	if in, ok := metadata.FromContext(ctx); ok {
		for k, v := range in {
			if !strings.EqualFold(k, policy.IdentityMetadataKey) {
				md[k] = v
			}
		}
	}
	md[policy.IdentityMetadataKey] = token
	return metadata.NewContext(ctx, md)
}
