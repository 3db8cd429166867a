package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/gateway/reason"
)

// handler is one step's view of the pipeline: it acts on the exchange of a
// request, recording what it decided in it.
type handler func(ctx context.Context, ex *exchange)

// step is one stage of the pipeline: a value with its own dependencies
// that wraps the rest of the chain, like the MCP SDK's middleware.
type step interface {
	wrap(next handler) handler
}

// chain is the pipeline, registered once in [Gateway.build]: steps[0] is the
// outermost. Every request on every transport runs through it; only the
// terminal (what runs once a request is admitted) differs by transport.
type chain []step

// run passes ex through the chain to terminal.
func (c chain) run(ctx context.Context, ex *exchange, terminal handler) {
	h := terminal
	for i := len(c) - 1; i >= 0; i-- {
		h = c[i].wrap(h)
	}
	h(ctx, ex)
}

// bridge is the one middleware tracegate registers with the MCP SDK: it
// joins a request the SDK decoded to the exchange it was admitted as
// (carried in the request's auth.TokenInfo, which only tracegate's
// transports fill), and fails closed for a request that has none or that
// differs from what was admitted. On HTTP, and for a notification on
// stdio, the transport has already run the chain and the bridge is the SDK
// half of its terminal; for a call on stdio the chain runs here.
func (g *Gateway) bridge(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		ex := exchangeOf(req)
		if ex == nil {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError,
				Message: "request did not arrive through a tracegate transport"}
		}
		if !ex.handoff.enter() {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "request is over"}
		}
		defer ex.handoff.leave()
		if ex.transport == transportHTTP || !ex.isCall() {
			return g.forward(ctx, ex, method, req, next)
		}
		var res mcp.Result
		var err error
		g.chain.run(ctx, ex, func(ctx context.Context, ex *exchange) {
			res, err = g.forward(ctx, ex, method, req, next)
		})
		if v := ex.verdict; v != nil {
			if v.isToolResult() {
				return v.toolResult(), nil
			}
			var we *jsonrpc.Error
			errors.As(err, &we)
			return nil, keepSDKError(we, v)
		}
		return res, err
	}
}

// forward hands an admitted request to the SDK's handler, after checking
// that it is the message that was admitted, with the request's span (and
// baggage) in its context.
func (g *Gateway) forward(ctx context.Context, ex *exchange, method string, req mcp.Request, next mcp.MethodHandler) (mcp.Result, error) {
	if err := admittedAs(ex, method, req); err != nil {
		v := refuseWith(reason.AdmissionMismatch, "request refused: "+err.Error())
		ex.refuse(v)
		return nil, v.rpcError()
	}
	if ex.span != nil {
		ctx = trace.ContextWithSpan(ctx, ex.span)
	}
	ctx = g.tracing.withBaggage(ctx, ex)
	res, err := next(ctx, method, req)
	if lr, ok := res.(*mcp.ListToolsResult); ok && err == nil && lr != nil {
		g.admitter.filterTools(ex, lr)
	}
	ex.result, ex.err = res, err
	if err != nil && ex.verdict == nil {
		// The SDK (or its handler) refused what the pipeline admitted: the
		// request is a refusal, with the reason its error code names.
		msg := err.Error()
		var we *jsonrpc.Error
		if errors.As(err, &we) {
			ex.refuse(refuseWith(rpcErrorReason(we.Code), msg))
		} else {
			ex.refuse(refuseWith(reason.InvalidRequest, msg))
		}
	}
	return res, err
}

// admittedAs checks that what the SDK is about to handle is byte for byte
// what the pipeline admitted: the method, and for tools/call the tool name
// and the argument bytes the transport handed over (on HTTP the admitted,
// normalised ones; on stdio, where admission runs after the SDK decoded the
// line, the bytes the one parse read). What is dispatched is always ex.args.
func admittedAs(ex *exchange, method string, req mcp.Request) error {
	if ex.msg == nil || method != ex.msg.Method {
		return fmt.Errorf("method %q was not the one admitted", method)
	}
	if method != methodToolsCall {
		return nil
	}
	call, ok := req.(*mcp.CallToolRequest)
	if !ok || call.Params == nil {
		return fmt.Errorf("tools/call without parameters")
	}
	if call.Params.Name != ex.msg.Name {
		return fmt.Errorf("tool %q was not the one admitted", recordedName(call.Params.Name))
	}
	if !bytes.Equal(call.Params.Arguments, ex.handedArgs) {
		return fmt.Errorf("arguments of %s differ from the admitted ones", ex.tool)
	}
	return nil
}
