package gateway

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/audit"
)

// toolHandler is the last step of the pipeline for one tool: validate the
// arguments against the tool's input schema (the SDK does not for raw
// schemas), write the audit intent, mint the downstream identity, dispatch,
// write the audit outcome. Invalid arguments are a JSON-RPC error and nothing
// is dispatched; a failing service is a tool result with isError.
func (g *Gateway) toolHandler(e *toolEntry) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		c := callFrom(ctx)
		c.Entry = e
		if err := e.Schema.validate(req.Params.Arguments); err != nil {
			c.invalidArgs = true
			return nil, &jsonrpc.Error{
				Code:    jsonrpc.CodeInvalidParams,
				Message: fmt.Sprintf("invalid arguments for tool %s: %v", e.Name, err),
			}
		}
		f := g.auditFields(ctx, c)
		f.Decision = audit.Allow
		c.audited = true
		rec, err := g.recorder.Begin(ctx, f)
		if err != nil {
			return nil, errAuditUnavailable()
		}
		res := g.dispatch(ctx, c, e, req.Params.Arguments)
		outcome, errType := audit.OutcomeOK, ""
		if res.IsError {
			outcome, errType = audit.OutcomeToolError, errorTypeToolError
		}
		if _, err := rec.End(ctx, audit.Completion{Outcome: outcome, ErrorType: errType}); err != nil {
			return nil, errAuditUnavailable()
		}
		return res, nil
	}
}

// dispatch calls the service under the tool's timeout; every attempt
// carries a freshly minted downstream identity (identityRequest).
func (g *Gateway) dispatch(ctx context.Context, c *call, e *toolEntry, args json.RawMessage) *mcp.CallToolResult {
	ir := g.identityRequest(ctx, c.Admission, e)
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	body, err := g.dispatcher.dispatch(ctx, e, args, callInfo{
		Account:  c.Admission.Principal.Subject,
		Identity: mintPerAttempt(g.minter, ir),
	})
	if err != nil {
		return errorResult(err)
	}
	return resultFor(e, body)
}
