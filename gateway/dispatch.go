package gateway

import (
	"context"
	"encoding/json"
	"fmt"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/codec/bytes"
	"go-micro.dev/v5/metadata"
	"go.opentelemetry.io/otel/trace"
)

// dispatcher sends a tool call to its go-micro service as raw JSON: the
// arguments reach the service's decoder byte for byte, so nested objects,
// big integers and timestamps arrive as the client sent them.
type dispatcher struct {
	client client.Client
}

// callInfo is what the downstream service learns about the call.
type callInfo struct {
	Account string // subject of the caller, "" when anonymous
	// Identity puts the downstream identity into each attempt's metadata
	// (mintPerAttempt: a fresh one per attempt); nil: none.
	Identity client.CallWrapper
}

// dispatch calls the tool's endpoint with args and returns the response body.
// The CLIENT span and the traceparent in metadata come from the client's
// telemetry wrapper; here only the go-micro gateway keys are set. ctx carries
// the per-tool timeout.
func (d *dispatcher) dispatch(ctx context.Context, e *toolEntry, args json.RawMessage, info callInfo) (json.RawMessage, error) {
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	md, ok := metadata.FromContext(ctx)
	if !ok {
		md = metadata.Metadata{}
	}
	md[ToolNameKey] = e.Name
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		md[TraceIDKey] = sc.TraceID().String()
	}
	if info.Account != "" {
		md[AccountIDKey] = info.Account
	}
	ctx = metadata.NewContext(ctx, md)

	req := d.client.NewRequest(e.Service, e.Endpoint, &bytes.Frame{Data: args})
	var rsp bytes.Frame
	opts := []client.CallOption{client.WithRequestTimeout(e.Timeout), client.WithRetries(0)}
	if info.Identity != nil {
		opts = append(opts, client.WithCallWrapper(info.Identity))
	}
	err := d.client.Call(ctx, req, &rsp, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Canonical, err)
	}
	return json.RawMessage(rsp.Data), nil
}
