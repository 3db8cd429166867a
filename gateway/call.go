package gateway

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
)

// metaKeyWarning is where a tool result carries a warning from the gateway
// (e.g. the call ran but its audit record could not be written).
const metaKeyWarning = "io.tracegate/warning"

// caller is step 5 of the pipeline, the terminal of an admitted tools/call:
// write the audit intent (strict mode), mint the downstream identity,
// dispatch the admitted argument bytes, write the audit outcome.
type caller struct {
	recorder   *audit.Recorder
	minter     *policy.Minter
	dispatcher *dispatcher
	auditor    *auditor
	admitter   *admitter // emits the call's decision event before dispatch
	catalog    *catalog  // for the downstream endpoints of a tool
}

// call runs ex's tool. A failing service is an isError result; strict mode
// refuses the call when its intent cannot be written (nothing dispatched),
// and when the outcome cannot be written after dispatch the real result is
// returned with a warning in _meta (never isError: a model would retry a
// call that ran).
func (c *caller) call(ctx context.Context, ex *exchange) *mcp.CallToolResult {
	e := ex.entry
	f := c.auditor.fields(ctx, ex)
	f.Decision = audit.Allow
	ex.audited = true
	rec, err := c.recorder.Begin(ctx, f)
	if err != nil {
		c.auditor.logger.Printf("audit: %s: %v (call refused, nothing dispatched)", e.Canonical, err)
		v := refuseWith(reason.AuditUnavailable, "audit trail unavailable: call refused (strict audit mode)")
		v.tool = e.Name
		ex.refuse(v)
		c.admitter.decide(ctx, ex)
		return nil
	}
	c.admitter.decide(ctx, ex)
	res := c.dispatch(ctx, ex)
	outcome, errType := audit.OutcomeOK, ""
	if res.IsError {
		outcome, errType = audit.OutcomeToolError, errorTypeToolError
	}
	if _, err := rec.End(ctx, audit.Completion{Outcome: outcome, ErrorType: errType}); err != nil {
		c.auditor.logger.Printf("audit: %s: outcome not recorded: %v", e.Canonical, err)
		ex.warning = "the call ran but its audit record could not be written"
		if res.Meta == nil {
			res.Meta = mcp.Meta{}
		}
		res.Meta[metaKeyWarning] = ex.warning
	}
	ex.result = res
	return res
}

// dispatch calls the service under the tool's timeout with the admitted
// arguments; every attempt carries a freshly minted downstream identity
// (identityRequest, mintPerAttempt).
func (c *caller) dispatch(ctx context.Context, ex *exchange) *mcp.CallToolResult {
	e := ex.entry
	ir := c.identityRequest(ctx, ex)
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	body, err := c.dispatcher.dispatch(ctx, e, ex.args, callInfo{
		Account:  ex.principal.Subject,
		Identity: mintPerAttempt(c.minter, ir),
	})
	if err != nil {
		// The full error (addresses included) stays on the span; the
		// client gets errorResult's view of it.
		span := trace.SpanFromContext(ctx)
		span.RecordError(err)
		span.SetAttributes(attribute.String("tracegate.dispatch.error", capString(err.Error(), maxMessage)))
		return errorResult(err)
	}
	return resultFor(e, body)
}

// toolHandler is what the MCP SDK runs for tool e on a session: the call of
// the exchange the request was admitted as, after checking that the SDK
// routed it to the tool that was admitted.
func (g *Gateway) toolHandler(e *toolEntry) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		ex := exchangeOf(req)
		if ex == nil || ex.entry == nil || ex.entry.Canonical != e.Canonical || ex.entry.Name != e.Name {
			v := refuseWith(reason.AdmissionMismatch, "request refused: the tool was not the one admitted")
			if ex != nil {
				ex.refuse(v)
			}
			return nil, v.rpcError()
		}
		res := g.caller.call(ctx, ex)
		if v := ex.verdict; v != nil {
			return nil, v.rpcError()
		}
		return res, nil
	}
}
