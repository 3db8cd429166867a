package gateway

import (
	"context"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/semconv/v1.41.0/mcpconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/telemetry"
)

// tracing is step 1 of the pipeline: one SERVER span per MCP request, parented
// per the trust policy, plus the mcp.server.operation.duration metric.
type tracing struct {
	tracer      trace.Tracer
	prop        propagation.TextMapPropagator
	trust       TrustPolicy
	duration    metric.Float64Histogram
	recordArgs  bool
	recordRes   bool
	recordLimit int
}

// durationBuckets are the semconv's advisory buckets for MCP durations.
var durationBuckets = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300}

func newTracing(o Options) (*tracing, error) {
	h, err := mcpconv.NewServerOperationDuration(o.MeterProvider.Meter(telemetry.ScopeName),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err != nil {
		return nil, err
	}
	return &tracing{
		tracer:      o.TraceProvider.Tracer(telemetry.ScopeName, trace.WithInstrumentationVersion(telemetry.Version)),
		prop:        o.Propagator,
		trust:       o.Config.Trust,
		duration:    h.Inst(),
		recordArgs:  o.Config.RecordArguments,
		recordRes:   o.Config.RecordResults,
		recordLimit: o.Config.RecordLimit,
	}, nil
}

// metaCarrier reads W3C fields from params._meta (MCP SEP-414).
type metaCarrier map[string]any

var _ propagation.TextMapCarrier = metaCarrier{}

func (m metaCarrier) Get(key string) string {
	s, _ := m[key].(string)
	return s
}
func (m metaCarrier) Set(key, value string) { m[key] = value }
func (m metaCarrier) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// parent picks the client's trace context: params._meta first, else the HTTP
// headers; when both are valid and differ, the other becomes a link.
func (t *tracing) parent(info requestInfo) (ctx context.Context, primary trace.SpanContext, links []trace.Link) {
	metaCtx := t.prop.Extract(context.Background(), metaCarrier(info.Meta))
	hdrCtx := context.Background()
	if info.Header != nil {
		hdrCtx = t.prop.Extract(hdrCtx, propagation.HeaderCarrier(info.Header))
	}
	m, h := trace.SpanContextFromContext(metaCtx), trace.SpanContextFromContext(hdrCtx)
	switch {
	case m.IsValid():
		if h.IsValid() && !h.Equal(m) {
			links = append(links, trace.Link{SpanContext: h, Attributes: []attribute.KeyValue{attribute.String("tracegate.link.source", "http")}})
		}
		return metaCtx, m, links
	case h.IsValid():
		return hdrCtx, h, nil
	}
	return context.Background(), trace.SpanContext{}, nil
}

// start opens the SERVER span for info on ctx.
func (t *tracing) start(ctx context.Context, info requestInfo) (context.Context, trace.Span) {
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(t.attributes(info)...)}
	if t.trust != TrustIgnore {
		remote, primary, links := t.parent(info)
		switch {
		case primary.IsValid() && t.trust == TrustParent:
			ctx = trace.ContextWithRemoteSpanContext(ctx, primary)
			ctx = baggage.ContextWithBaggage(ctx, baggage.FromContext(remote))
			opts = append(opts, trace.WithLinks(links...))
		case primary.IsValid():
			opts = append(opts, trace.WithNewRoot(),
				trace.WithLinks(append([]trace.Link{{SpanContext: primary}}, links...)...))
		default:
			opts = append(opts, trace.WithNewRoot())
		}
	} else {
		opts = append(opts, trace.WithNewRoot())
	}
	return t.tracer.Start(ctx, info.spanName(), opts...)
}

func (t *tracing) attributes(info requestInfo) []attribute.KeyValue {
	attrs := []attribute.KeyValue{semconv.McpMethodNameKey.String(info.Method)}
	if info.Method == methodToolsCall {
		attrs = append(attrs, semconv.GenAIToolNameKey.String(info.Tool), semconv.GenAIOperationNameKey.String(operationExecuteTool))
		if t.recordArgs && len(info.Arguments) > 0 {
			attrs = append(attrs, semconv.GenAIToolCallArgumentsKey.String(capString(string(info.Arguments), t.recordLimit)))
		}
	} else if info.Tool != "" {
		attrs = append(attrs, semconv.GenAIPromptNameKey.String(info.Tool))
	}
	if info.RequestID != "" {
		attrs = append(attrs, semconv.JSONRPCRequestIDKey.String(info.RequestID))
	}
	if info.ProtocolVersion != "" {
		attrs = append(attrs, semconv.McpProtocolVersionKey.String(info.ProtocolVersion))
	}
	if info.SessionID != "" {
		attrs = append(attrs, semconv.McpSessionIDKey.String(info.SessionID))
	}
	if info.Transport == transportHTTP {
		attrs = append(attrs, semconv.NetworkTransportTCP, semconv.NetworkProtocolName("http"))
	} else {
		attrs = append(attrs, semconv.NetworkTransportPipe)
	}
	return attrs
}

// middleware is the outermost step of the pipeline.
func (t *tracing) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		ctx, c := t.begin(ctx, readRequest(method, req))
		res, err := next(ctx, method, req)
		t.finish(ctx, c, res, err)
		return res, err
	}
}

// begin opens the request's SERVER span and its call state. The HTTP front
// uses it too, for requests it refuses before the MCP SDK sees them.
func (t *tracing) begin(ctx context.Context, info requestInfo) (context.Context, *call) {
	c := &call{Info: info, start: time.Now()}
	ctx, c.span = t.start(ctx, info)
	return withCall(ctx, c), c
}

// finish records the outcome on the span, ends it and records the duration.
func (t *tracing) finish(ctx context.Context, c *call, res mcp.Result, err error) {
	span := c.span
	c.ErrType = errorType(res, err)
	if c.ErrType != "" {
		span.SetAttributes(semconv.ErrorTypeKey.String(c.ErrType))
		msg := c.ErrType
		if err != nil {
			msg = err.Error()
		}
		span.SetStatus(codes.Error, msg)
	}
	if ct, ok := res.(*mcp.CallToolResult); ok && t.recordRes && ct != nil && len(ct.Content) > 0 {
		if tc, ok := ct.Content[0].(*mcp.TextContent); ok {
			span.SetAttributes(semconv.GenAIToolCallResultKey.String(capString(tc.Text, t.recordLimit)))
		}
	}
	span.End()
	t.duration.Record(ctx, time.Since(c.start).Seconds(), metric.WithAttributes(t.metricAttributes(c)...))
}

// metricAttributes is a small fixed set, bounded in cardinality by the tool
// catalog: unknown tool names are not recorded.
func (t *tracing) metricAttributes(c *call) []attribute.KeyValue {
	attrs := []attribute.KeyValue{semconv.McpMethodNameKey.String(c.Info.Method)}
	if c.Entry != nil {
		attrs = append(attrs, semconv.GenAIToolNameKey.String(c.Entry.Name))
	}
	if c.ErrType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(c.ErrType))
	}
	if c.Info.ProtocolVersion != "" {
		attrs = append(attrs, semconv.McpProtocolVersionKey.String(c.Info.ProtocolVersion))
	}
	return attrs
}

// errorType is the JSON-RPC error code, "tool_error" for an isError result,
// or "" on success.
func errorType(res mcp.Result, err error) string {
	if err != nil {
		var werr *jsonrpc.Error
		if errors.As(err, &werr) {
			return strconv.FormatInt(werr.Code, 10)
		}
		return "_OTHER"
	}
	if ct, ok := res.(*mcp.CallToolResult); ok && ct != nil && ct.IsError {
		return errorTypeToolError
	}
	return ""
}

// capString cuts s to at most limit bytes on a rune boundary.
func capString(s string, limit int) string {
	if limit <= 0 || len(s) <= limit {
		return s
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return s[:limit]
}
