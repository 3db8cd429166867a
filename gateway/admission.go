package gateway

import (
	"context"
	"errors"
	"github.com/tracegate/tracegate/gateway/reason"

	"github.com/tracegate/tracegate/gateway/policy"
)

// anonymous is the principal of calls when the gateway runs without
// authentication (Config.Auth.Anonymous).
var anonymous = policy.Principal{Subject: "anonymous"}

// admission is the outcome of steps 2-4 of the pipeline (authenticate,
// authorize, limit) for one request. It is computed once, by the HTTP front
// for HTTP requests (so a denial can be a proper 401/403/429) and by the
// admission middleware for stdio, and carried to where the span lives.
type admission struct {
	Principal     policy.Principal
	Authenticated bool
	AuthErr       error
	Entry         *toolEntry // tools/call of a known tool
	Requirement   policy.Requirement
	Decision      *policy.Decision     // nil unless authorization ran
	Limit         *policy.LimitOutcome // nil unless the limiter ran
}

// err is the first step that refused, or nil.
func (a admission) err() error {
	switch {
	case a.AuthErr != nil:
		return a.AuthErr
	case a.Decision != nil && !a.Decision.Allowed:
		return a.Decision.Err()
	case a.Limit != nil && !a.Limit.Allowed:
		return a.Limit.AsError()
	}
	return nil
}

// admitter holds the policy pieces; a nil verifier means anonymous access.
type admitter struct {
	verifier policy.Verifier
	scopes   *policy.ScopePolicy
	limiter  policy.Limiter
	catalog  *catalog
}

// admit authenticates token (tokenErr: it could not be read) and, for
// tools/call of a known tool, authorizes and rate-limits. Pure decision: it
// emits nothing.
func (ad *admitter) admit(ctx context.Context, info requestInfo, token string, tokenErr error) admission {
	var a admission
	switch {
	case ad.verifier == nil:
		a.Principal, a.Authenticated = anonymous, true
	case tokenErr != nil:
		a.AuthErr = tokenErr
	case token == "":
		a.AuthErr = policy.ErrMissingToken
	default:
		p, err := ad.verifier.Verify(ctx, token)
		if err != nil {
			a.AuthErr = err
		} else {
			a.Principal, a.Authenticated = p, true
		}
	}
	if info.Method != methodToolsCall {
		return a
	}
	e, ok := ad.catalog.lookup(info.Tool)
	if !ok {
		return a
	}
	a.Entry = e
	a.Requirement = ad.scopes.Resolve(e.Canonical, e.Scopes)
	if a.AuthErr != nil {
		return a
	}
	d := ad.authorize(a.Principal, a.Requirement)
	a.Decision = &d
	if !d.Allowed || ad.limiter == nil {
		return a
	}
	o := ad.limiter.Allow(ctx, a.Principal.Subject, e.Canonical)
	a.Limit = &o
	return a
}

// authorize decides scopes; without authentication (anonymous development
// mode) there is nothing to decide on and every tool is allowed, as in
// go-micro's gateway without Auth.
func (ad *admitter) authorize(p policy.Principal, req policy.Requirement) policy.Decision {
	if ad.verifier == nil {
		return policy.Decision{Allowed: true, Reason: reasonAnonymous, Required: req.Scopes, Mode: req.Mode, Satisfied: req.Scopes}
	}
	return ad.scopes.Authorize(p, req)
}

// reasonAnonymous is the authorization reason in anonymous mode.
const reasonAnonymous = reason.Anonymous

// canList tells whether p may see a tool in tools/list.
func (ad *admitter) canList(p policy.Principal, e *toolEntry) bool {
	return ad.verifier == nil || ad.scopes.CanList(p, ad.scopes.Resolve(e.Canonical, e.Scopes))
}

// denialReason is the audit/event reason for a refused admission.
func denialReason(err error) reason.Reason {
	switch {
	case errors.Is(err, policy.ErrMissingToken), errors.Is(err, policy.ErrInvalidToken), errors.Is(err, policy.ErrTokenInQuery):
		return reason.Unauthenticated
	case errors.Is(err, policy.ErrUnscopedDenied):
		return reason.UnscopedDenied
	case errors.Is(err, policy.ErrInsufficientScope):
		return reason.InsufficientScope
	case errors.Is(err, policy.ErrRateLimited):
		return reason.RateLimited
	case errors.Is(err, policy.ErrLimiterUnavailable):
		return reason.LimiterUnavailable
	}
	return reason.Internal
}
