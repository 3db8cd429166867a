package gateway

import (
	"context"
	"errors"
	"github.com/tracegate/tracegate/gateway/reason"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
)

// auditMiddleware is step 6 of the pipeline for everything the tool handler
// does not record itself: denials, unknown tools, invalid arguments, and
// other methods (per the configured method level). Allowed calls are
// recorded by the tool handler around dispatch ([audit.Recorder.Begin] /
// End), so strict mode can write before dispatching.
func (g *Gateway) auditMiddleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		c := callFrom(ctx)
		if !c.audited {
			g.recordOnce(ctx, c, res, err)
		}
		return res, err
	}
}

// recordOnce writes the single record of a request not recorded around
// dispatch. A write failure is reported to the operator, not the caller:
// nothing was dispatched.
func (g *Gateway) recordOnce(ctx context.Context, c *call, res mcp.Result, err error) {
	c.audited = true
	f := g.auditFields(ctx, c)
	f.ErrorType = errorType(res, err)
	switch {
	case c.Admission.err() != nil:
		f.Decision, f.Reason, f.Outcome = audit.Deny, auditReason(c.Admission.err()), audit.OutcomeError
	case c.Info.Method == methodToolsCall && c.Entry == nil:
		f.Decision, f.Reason, f.Outcome = audit.Deny, reason.UnknownTool, audit.OutcomeError
	case c.Info.Method == methodToolsCall && c.invalidArgs:
		f.Decision, f.Reason, f.Outcome = audit.Deny, reason.InvalidArguments, audit.OutcomeError
	case err != nil || f.ErrorType != "":
		f.Decision, f.Outcome = audit.Allow, audit.OutcomeError
	default:
		f.Decision, f.Outcome = audit.Allow, audit.OutcomeOK
	}
	if _, werr := g.recorder.Record(ctx, f); werr != nil {
		g.opts.Logger.Printf("audit: %s %s: %v", c.Info.Method, c.Info.Tool, werr)
	}
}

// auditFields collects what the pipeline knows about c.
func (g *Gateway) auditFields(ctx context.Context, c *call) audit.Fields {
	sc := trace.SpanContextFromContext(ctx)
	a := c.Admission
	f := audit.Fields{
		Time:            c.start,
		TraceID:         sc.TraceID().String(),
		SpanID:          sc.SpanID().String(),
		Transport:       c.Info.Transport,
		ProtocolVersion: c.Info.ProtocolVersion,
		SessionID:       c.Info.SessionID,
		JSONRPCID:       c.Info.RequestID,
		Method:          c.Info.Method,
		Tool:            c.Info.Tool,
		Subject:         a.Principal.Subject,
		Client:          a.Principal.Client,
		IntentID:        a.Principal.IntentID,
		RequiredScopes:  a.Requirement.Scopes,
		ScopeSource:     a.Requirement.Source,
		Duration:        time.Since(c.start),
		PolicyHash:      g.policyHash,
		Arguments:       c.Info.Arguments,
	}
	if c.Entry != nil {
		f.Service, f.Endpoint = c.Entry.Service, c.Entry.Endpoint
	}
	if a.Decision != nil {
		f.GrantedScopes = a.Decision.Granted
		f.Reason = audit.Reason(a.Decision.Reason)
	}
	if a.Limit != nil {
		f.RateLimit = rateAllowed
		if !a.Limit.Allowed {
			f.RateLimit = rateLimited
		}
	}
	if c.Info.Method != methodToolsCall {
		f.Arguments = nil
	}
	return f
}

// auditReason maps a denial to its audit reason.
func auditReason(err error) audit.Reason {
	switch {
	case errors.Is(err, policy.ErrUnscopedDenied):
		return reason.UnscopedDenied
	case errors.Is(err, policy.ErrInsufficientScope):
		return reason.InsufficientScope
	case errors.Is(err, policy.ErrRateLimited), errors.Is(err, policy.ErrLimiterUnavailable):
		return reason.RateLimited
	}
	return reason.Unauthenticated
}

// errAuditUnavailable is the JSON-RPC error of a call refused because the
// strict audit trail could not be written (fail closed).
func errAuditUnavailable() *jsonrpc.Error {
	return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "audit trail unavailable: call refused (strict audit mode)"}
}
