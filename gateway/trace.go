package gateway

import (
	"context"
	"crypto/rand"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/semconv/v1.41.0/mcpconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/telemetry"
)

// tracing is step 1 of the pipeline: one SERVER span per MCP request,
// parented per the trust policy, carrying the request's baggage across the
// trust boundary, plus the mcp.server.operation.duration metric.
type tracing struct {
	tracer      trace.Tracer
	prop        propagation.TextMapPropagator
	trust       TrustPolicy
	baggage     baggagePolicy
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
		baggage:     newBaggagePolicy(o.Config.Baggage),
		duration:    h.Inst(),
		recordArgs:  o.Config.RecordArguments,
		recordRes:   o.Config.RecordResults,
		recordLimit: o.Config.RecordLimit,
	}, nil
}

// wrap opens the span before the rest of the chain and ends it after.
func (t *tracing) wrap(next handler) handler {
	return func(ctx context.Context, ex *exchange) {
		ctx = t.begin(ctx, ex)
		next(ctx, ex)
		t.finish(ctx, ex)
	}
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
func (t *tracing) parent(ex *exchange) (ctx context.Context, primary trace.SpanContext, links []trace.Link) {
	metaCtx := t.prop.Extract(context.Background(), metaCarrier(ex.meta))
	hdrCtx := context.Background()
	if ex.header != nil {
		hdrCtx = t.prop.Extract(hdrCtx, propagation.HeaderCarrier(ex.header))
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

// begin opens the request's SERVER span on ctx, records it in ex and
// returns ctx with the span and the request's baggage.
func (t *tracing) begin(ctx context.Context, ex *exchange) context.Context {
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(t.attributes(ex)...)}
	remote := context.Background()
	if t.trust != TrustIgnore {
		var primary trace.SpanContext
		var links []trace.Link
		remote, primary, links = t.parent(ex)
		switch {
		case primary.IsValid() && t.trust == TrustParent:
			ctx = trace.ContextWithRemoteSpanContext(ctx, primary)
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
	ex.clientBaggage = t.baggage.fromClient(remote, t.trust == TrustParent)
	parent := trace.SpanContextFromContext(ctx)
	ctx, ex.span = t.tracer.Start(ctx, spanName(ex), opts...)
	if sc := ex.span.SpanContext(); !ex.span.IsRecording() && (!sc.IsValid() || sc.SpanID() == parent.SpanID()) {
		// No recording tracer (a no-op provider, as when used as a library
		// the go-micro way): the request still gets its own W3C trace
		// context, continuing the caller's trace, for the audit record,
		// the downstream metadata and the downstream identity.
		ex.span = trace.SpanFromContext(trace.ContextWithSpanContext(ctx, syntheticSpanContext(parent)))
		ctx = trace.ContextWithSpan(ctx, ex.span)
	}
	return t.withBaggage(ctx, ex)
}

// syntheticSpanContext is a fresh span id in parent's trace (or a new random
// trace), sampled as the parent says (sampled when there is none).
func syntheticSpanContext(parent trace.SpanContext) trace.SpanContext {
	var tid trace.TraceID
	var sid trace.SpanID
	_, _ = rand.Read(sid[:])
	flags := trace.FlagsSampled
	if parent.IsValid() {
		tid, flags = parent.TraceID(), parent.TraceFlags()
	} else {
		_, _ = rand.Read(tid[:])
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags})
}

// spanName follows the MCP conventions, "{mcp.method.name} {target}", with
// the target only for a tool the catalog holds (client-chosen names must not
// become span names); a request refused before its message was read is
// named by its HTTP method and path.
func spanName(ex *exchange) string {
	switch {
	case ex.entry != nil:
		return ex.method + " " + ex.entry.Name
	case ex.msg != nil:
		return ex.method
	case ex.transport == transportHTTP:
		return ex.httpMethod + " " + MCPPath
	}
	return "mcp"
}

func (t *tracing) attributes(ex *exchange) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs, telemetry.EvidenceKey.Bool(true)) // never sampled away (telemetry.EvidenceSampler)
	if ex.method != "" {
		attrs = append(attrs, semconv.McpMethodNameKey.String(ex.method))
	}
	if ex.method == methodToolsCall {
		attrs = append(attrs, semconv.GenAIOperationNameKey.String(operationExecuteTool))
		if ex.tool != "" {
			attrs = append(attrs, semconv.GenAIToolNameKey.String(ex.tool))
		}
		if t.recordArgs && len(ex.msg.Arguments) > 0 {
			attrs = append(attrs, semconv.GenAIToolCallArgumentsKey.String(capString(string(ex.msg.Arguments), t.recordLimit)))
		}
	} else if ex.tool != "" {
		attrs = append(attrs, semconv.GenAIPromptNameKey.String(ex.tool))
	}
	if id := ex.requestID(); id != "" {
		attrs = append(attrs, semconv.JSONRPCRequestIDKey.String(capString(id, maxToolName)))
	}
	if ex.version != "" {
		attrs = append(attrs, semconv.McpProtocolVersionKey.String(capString(ex.version, 32)))
	}
	if ex.sessionID != "" {
		attrs = append(attrs, semconv.McpSessionIDKey.String(capString(ex.sessionID, maxToolName)))
	}
	if ex.transport == transportHTTP {
		attrs = append(attrs, semconv.NetworkTransportTCP, semconv.NetworkProtocolName("http"))
		if ex.peer != "" {
			attrs = append(attrs, semconv.ClientAddress(ex.peer))
		}
	} else {
		attrs = append(attrs, semconv.NetworkTransportPipe)
	}
	return attrs
}

// finish records the outcome on the span, names it after the tool once the
// catalog resolved it, ends it and records the duration.
func (t *tracing) finish(ctx context.Context, ex *exchange) {
	span := ex.span
	if ex.entry != nil {
		span.SetName(spanName(ex))
	}
	if ex.sessionID != "" && ex.method == methodInitialize {
		span.SetAttributes(semconv.McpSessionIDKey.String(capString(ex.sessionID, maxToolName)))
	}
	errType := ex.errorType()
	if errType != "" {
		span.SetAttributes(semconv.ErrorTypeKey.String(errType))
		msg := errType
		switch {
		case ex.verdict != nil:
			msg = ex.verdict.message
		case ex.err != nil:
			msg = ex.err.Error()
		}
		span.SetStatus(codes.Error, msg)
	}
	if ct, ok := ex.result.(*mcp.CallToolResult); ok && t.recordRes && ct != nil && len(ct.Content) > 0 {
		if tc, ok := ct.Content[0].(*mcp.TextContent); ok {
			span.SetAttributes(semconv.GenAIToolCallResultKey.String(capString(tc.Text, t.recordLimit)))
		}
	}
	span.End()
	t.duration.Record(ctx, time.Since(ex.start).Seconds(), metric.WithAttributes(t.metricAttributes(ex, errType)...))
}

// metricAttributes is a small fixed set, bounded in cardinality by the tool
// catalog: unknown tool names and methods are not recorded.
func (t *tracing) metricAttributes(ex *exchange, errType string) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 4)
	if knownMethod(ex.method) {
		attrs = append(attrs, semconv.McpMethodNameKey.String(ex.method))
	}
	if ex.entry != nil {
		attrs = append(attrs, semconv.GenAIToolNameKey.String(ex.entry.Name))
	}
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
	}
	if knownVersion(ex.version) {
		attrs = append(attrs, semconv.McpProtocolVersionKey.String(ex.version))
	}
	return attrs
}

// errorType is the OTel error.type of the request: the JSON-RPC error code,
// "tool_error" for an isError result, "" on success.
func (ex *exchange) errorType() string {
	switch {
	case ex.verdict != nil && ex.verdict.isToolResult():
		return errorTypeToolError
	case ex.verdict != nil:
		_, code := ex.verdict.answer(ex.modern)
		return strconv.FormatInt(code, 10)
	}
	return errorType(ex.result, ex.err)
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
