package gateway

import (
	"context"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
)

// anonymous is the principal of calls when the gateway runs without
// authentication (Config.Auth.Anonymous).
var anonymous = policy.Principal{Subject: "anonymous"}

// unknownToolKey is the one rate-limit key of every tools/call of a tool the
// catalog does not hold, so hostile names cannot grow the limiter.
const unknownToolKey = "<unknown>"

// admitter is steps 2–4 of the pipeline: it turns the transport's
// authentication into a decision, binds sessions, authorizes the tool's
// scopes, applies the rate limits and admits the arguments. It decides and
// records the decision events; the answer is written by the transport and
// the audit record by the auditor, both from the same verdict.
type admitter struct {
	verifier policy.Verifier // nil: anonymous access
	policies *policyStore    // scopes and limits, loaded once per request
	catalog  *catalog
	sessions *sessions
	emitter  emitter
	// baseline is the scope set a 401 names (RFC 6750 §3 scope=): what a
	// least-privileged client should ask for first; more comes by step-up.
	baseline []string
}

// authenticate verifies the caller's credential (tokenErr: it could not be
// read) into ex. Transports call it when they create the exchange, before
// reading the body, so an unauthenticated request costs no body.
func (a *admitter) authenticate(ctx context.Context, ex *exchange, token string, tokenErr error) {
	switch {
	case a.verifier == nil:
		ex.principal, ex.authenticated = anonymous, true
	case tokenErr != nil:
		ex.authErr = tokenErr
	case token == "":
		ex.authErr = policy.ErrMissingToken
	default:
		p, err := a.verifier.Verify(ctx, token)
		if err != nil {
			ex.authErr = err
			return
		}
		ex.principal, ex.authenticated = p, true
	}
}

// wrap admits ex, emits its decision events, and runs the rest of the chain
// only when ex is allowed.
//
// The decision event says how the request ended: a refusal here is emitted
// at once; an admitted tools/call's decision is emitted by the caller right
// before dispatch (or with its refusal, when strict audit refuses it); any
// other admitted request's after the rest of the chain, so that a refusal
// the MCP SDK makes later carries the same reason in the event as in the
// answer and the audit record.
func (a *admitter) wrap(next handler) handler {
	return func(ctx context.Context, ex *exchange) {
		a.admit(ctx, ex)
		if ex.verdict != nil {
			a.decide(ctx, ex)
			return
		}
		next(ctx, ex)
		a.decide(ctx, ex)
	}
}

// decide emits ex's decision event once.
func (a *admitter) decide(ctx context.Context, ex *exchange) {
	if ex.decided {
		return
	}
	ex.decided = true
	emitDecision(ctx, a.emitter, ex)
}

// admit decides ex; a refusal is left in ex.verdict.
func (a *admitter) admit(ctx context.Context, ex *exchange) {
	ex.policy = a.policies.load()
	switch {
	case ex.verdict != nil: // refused by its transport (parse, headers, body)
		return
	case ex.authErr != nil:
		v := policyVerdict(ex.authErr)
		v.scopes = a.baseline
		ex.refuse(v)
		return
	}
	if v := a.session(ctx, ex); v != nil {
		ex.refuse(v)
		return
	}
	if ex.method == methodToolsCall {
		a.admitCall(ctx, ex)
	}
}

// session admits 2025-11-25 session traffic (a sealed id bound to the
// principal, open in the session store) and caps new sessions.
func (a *admitter) session(ctx context.Context, ex *exchange) *verdict {
	if ex.transport != transportHTTP || ex.modern || a.sessions == nil {
		return nil
	}
	switch {
	case ex.sessionID != "":
		return a.sessions.admit(ctx, ex)
	case ex.method == methodInitialize:
		return a.sessions.create(ctx, ex)
	}
	return nil
}

// admitCall authorizes, limits and admits the arguments of a tools/call.
func (a *admitter) admitCall(ctx context.Context, ex *exchange) {
	e, ok := a.catalog.lookup(ex.msg.Name)
	if !ok {
		if a.limit(ctx, ex, unknownToolKey) {
			v := refuseWith(reason.UnknownTool, fmt.Sprintf("unknown tool %q", ex.tool))
			ex.refuse(v)
		}
		return
	}
	ex.entry = e
	ex.requirement = ex.policy.scopes.Resolve(e.Canonical, e.Scopes)
	d := a.authorize(ex.policy.scopes, ex.principal, ex.requirement)
	ex.decision = &d
	if !d.Allowed {
		v := policyVerdict(d.Err())
		v.tool, v.scopes, v.missing = e.Name, ex.requirement.Scopes, d.Missing
		ex.refuse(v)
		return
	}
	if !a.limit(ctx, ex, e.Canonical) {
		return
	}
	if v := a.admitArguments(ex, e); v != nil {
		ex.refuse(v)
	}
}

// limit applies the rate limits of ex's principal for tool and tells
// whether the call may go on.
func (a *admitter) limit(ctx context.Context, ex *exchange, tool string) bool {
	lim := ex.policy.limiter
	if lim == nil {
		return true
	}
	o := lim.Allow(ctx, ex.principal.Subject, tool)
	ex.limit = &o
	if o.Allowed {
		return true
	}
	v := policyVerdict(o.AsError())
	v.retryAfter = o.RetryAfter
	if ex.entry != nil {
		v.tool = ex.entry.Name
	}
	ex.refuse(v)
	return false
}

// authorize decides scopes; without authentication (anonymous development
// mode) there is nothing to decide on and every tool is allowed, as in
// go-micro's gateway without Auth.
func (a *admitter) authorize(scopes *policy.ScopePolicy, p policy.Principal, req policy.Requirement) policy.Decision {
	if a.verifier == nil {
		return policy.Decision{Allowed: true, Reason: reason.Anonymous, Required: req.Scopes, Mode: req.Mode, Satisfied: req.Scopes}
	}
	return scopes.Authorize(p, req)
}

// metaKeyRequiredScopes is where a listed tool the caller cannot call names
// the scopes it needs (policy.list_uncallable), so a client can step up.
const metaKeyRequiredScopes = "io.tracegate/required-scopes"

// filterTools drops the tools the caller may not call from a tools/list
// page, or, with list_uncallable, marks them with the scopes they need.
func (a *admitter) filterTools(ex *exchange, lr *mcp.ListToolsResult) {
	if a.verifier == nil {
		return
	}
	pol := a.policies.policyOf(ex)
	kept := lr.Tools[:0]
	for _, t := range lr.Tools {
		e, ok := a.catalog.lookup(t.Name)
		if !ok {
			kept = append(kept, t)
			continue
		}
		req := pol.scopes.Resolve(e.Canonical, e.Scopes)
		if pol.scopes.CanList(ex.principal, req) {
			kept = append(kept, t)
			continue
		}
		if pol.cfg.ListUncallable {
			c := *t
			c.Meta = mcp.Meta{}
			for k, v := range t.Meta {
				c.Meta[k] = v
			}
			c.Meta[metaKeyRequiredScopes] = map[string]any{"scopes": req.Scopes, "mode": string(req.Mode)}
			kept = append(kept, &c)
		}
	}
	lr.Tools = kept
}
