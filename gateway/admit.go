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
	scopes   *policy.ScopePolicy
	limiter  policy.Limiter // nil: no limits
	catalog  *catalog
	sessions *sessions
	budget   *budget
	emitter  emitter
	// baseline is the scope set a 401 names (RFC 6750 §3 scope=): what a
	// least-privileged client should ask for first; more comes by step-up.
	baseline []string
	// listUncallable lists tools the caller cannot call, with the scopes
	// they need in _meta, instead of hiding them.
	listUncallable bool
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
func (a *admitter) wrap(next handler) handler {
	return func(ctx context.Context, ex *exchange) {
		a.admit(ctx, ex)
		emitDecision(ctx, a.emitter, ex)
		if ex.verdict != nil {
			return
		}
		next(ctx, ex)
	}
}

// admit decides ex; a refusal is left in ex.verdict.
func (a *admitter) admit(ctx context.Context, ex *exchange) {
	switch {
	case ex.verdict != nil: // refused by its transport (parse, headers, body)
		return
	case ex.authErr != nil:
		v := policyVerdict(ex.authErr)
		v.scopes = a.baseline
		ex.refuse(v)
		return
	}
	if v := a.session(ex); v != nil {
		ex.refuse(v)
		return
	}
	if ex.method == methodToolsCall {
		a.admitCall(ctx, ex)
	}
}

// session binds 2025-11-25 session traffic to its principal and caps new
// sessions.
func (a *admitter) session(ex *exchange) *verdict {
	if ex.transport != transportHTTP || ex.modern || a.sessions == nil {
		return nil
	}
	switch {
	case ex.sessionID != "":
		return a.sessions.use(ex, ex.sessionID)
	case ex.method == methodInitialize:
		release, v := a.sessions.reserve(ex)
		if v == nil {
			ex.sessionSlot = release
		}
		return v
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
	ex.requirement = a.scopes.Resolve(e.Canonical, e.Scopes)
	d := a.authorize(ex.principal, ex.requirement)
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
	if a.limiter == nil {
		return true
	}
	o := a.limiter.Allow(ctx, ex.principal.Subject, tool)
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
func (a *admitter) authorize(p policy.Principal, req policy.Requirement) policy.Decision {
	if a.verifier == nil {
		return policy.Decision{Allowed: true, Reason: reason.Anonymous, Required: req.Scopes, Mode: req.Mode, Satisfied: req.Scopes}
	}
	return a.scopes.Authorize(p, req)
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
	kept := lr.Tools[:0]
	for _, t := range lr.Tools {
		e, ok := a.catalog.lookup(t.Name)
		if !ok {
			kept = append(kept, t)
			continue
		}
		req := a.scopes.Resolve(e.Canonical, e.Scopes)
		if a.scopes.CanList(ex.principal, req) {
			kept = append(kept, t)
			continue
		}
		if a.listUncallable {
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
