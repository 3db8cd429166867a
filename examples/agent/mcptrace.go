package agent

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"reflect"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// methodToolsCall is the one MCP method the agent names its spans after a
// tool for.
const methodToolsCall = "tools/call"

// Attributes of the agent's own (tracegate.* namespace).
const (
	keyIntentID          = attribute.Key("tracegate.intent.id")
	keyChallengeError    = attribute.Key("tracegate.challenge.error")
	keyChallengeScope    = attribute.Key("tracegate.challenge.scope")
	eventChallenge       = "tracegate.agent.challenge"
	errorTypeToolError   = "tool_error"
	errorTypeOther       = "_OTHER"
	operationExecuteTool = "execute_tool"
)

// mcpTracing is a sending middleware: one CLIENT span per MCP request, named
// and attributed per the OTel MCP conventions, whose context is written
// into params._meta (traceparent, tracestate, baggage: MCP SEP-414) so the
// gateway continues the trace.
type mcpTracing struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	server []attribute.KeyValue // server.address, server.port, network.*
}

func newMCPTracing(tracer trace.Tracer, prop propagation.TextMapPropagator, endpoint string) *mcpTracing {
	m := &mcpTracing{tracer: tracer, prop: prop,
		server: []attribute.KeyValue{semconv.NetworkTransportTCP, semconv.NetworkProtocolName("http")}}
	if u, err := url.Parse(endpoint); err == nil {
		host, port := u.Hostname(), u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		m.server = append(m.server, semconv.ServerAddress(host))
		if p, err := strconv.Atoi(port); err == nil {
			m.server = append(m.server, semconv.ServerPort(p))
		}
	}
	return m
}

func (m *mcpTracing) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		name := method
		attrs := append([]attribute.KeyValue{semconv.McpMethodNameKey.String(method)}, m.server...)
		if p, ok := req.GetParams().(*mcp.CallToolParams); ok && p != nil && method == methodToolsCall {
			name += " " + p.Name
			attrs = append(attrs, semconv.GenAIToolNameKey.String(p.Name),
				semconv.GenAIOperationNameKey.String(operationExecuteTool))
		}
		ctx, span := m.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
		defer span.End()
		m.inject(ctx, req.GetParams())
		sink, ok := ctx.Value(sinkKey{}).(*challengeSink)
		if !ok {
			ctx, sink = withChallengeSink(ctx)
		}

		res, err := next(ctx, method, req)

		if cs, ok := req.GetSession().(*mcp.ClientSession); ok && cs != nil {
			if id := cs.ID(); id != "" {
				span.SetAttributes(semconv.McpSessionIDKey.String(id))
			}
			if ir := cs.InitializeResult(); ir != nil && ir.ProtocolVersion != "" {
				span.SetAttributes(semconv.McpProtocolVersionKey.String(ir.ProtocolVersion))
			}
		}
		if c := sink.get(); c != nil {
			span.AddEvent(eventChallenge, trace.WithAttributes(
				semconv.HTTPResponseStatusCode(c.Status),
				keyChallengeError.String(c.Error),
				keyChallengeScope.String(c.Scope)))
		}
		if et := errorType(res, err); et != "" {
			span.SetAttributes(semconv.ErrorTypeKey.String(et))
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, err.Error())
			} else {
				span.SetStatus(codes.Error, et)
			}
		}
		return res, err
	}
}

// inject writes the span context into params._meta, keeping what the SDK
// put there (protocol version, client info on server/discover).
func (m *mcpTracing) inject(ctx context.Context, p mcp.Params) {
	if p == nil {
		return
	}
	if v := reflect.ValueOf(p); v.Kind() == reflect.Pointer && v.IsNil() {
		return // a typed nil: no params to carry _meta
	}
	meta := maps.Clone(p.GetMeta())
	if meta == nil {
		meta = map[string]any{}
	}
	m.prop.Inject(ctx, metaCarrier(meta))
	p.SetMeta(meta)
}

// errorType is the JSON-RPC error code, tool_error for an isError result,
// _OTHER for any other failure, or "" on success.
func errorType(res mcp.Result, err error) string {
	if err != nil {
		var rpcErr *jsonrpc.Error
		if errors.As(err, &rpcErr) {
			return strconv.FormatInt(rpcErr.Code, 10)
		}
		return errorTypeOther
	}
	if ct, ok := res.(*mcp.CallToolResult); ok && ct != nil && ct.IsError {
		return errorTypeToolError
	}
	return ""
}

// metaCarrier writes W3C fields into params._meta.
type metaCarrier map[string]any

var _ propagation.TextMapCarrier = metaCarrier{}

func (c metaCarrier) Get(key string) string {
	s, _ := c[key].(string)
	return s
}

func (c metaCarrier) Set(key, value string) { c[key] = value }

func (c metaCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
