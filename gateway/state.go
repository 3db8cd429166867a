package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Transport names recorded on spans and audit records.
const (
	transportHTTP  = "http"
	transportStdio = "stdio"
)

// internalRequestIDHeader carries the JSON-RPC id of an HTTP request from the
// gateway's HTTP front handler to the pipeline (the SDK does not expose it to
// middleware). Clients cannot set it: the front handler removes any copy.
const internalRequestIDHeader = "Tracegate-Internal-Jsonrpc-Id"

// requestInfo is what the pipeline knows about one MCP request, read once by
// the outermost middleware.
type requestInfo struct {
	Method          string
	Tool            string // tools/call: the tool name as called
	Arguments       json.RawMessage
	Meta            map[string]any
	Header          http.Header // nil on stdio
	Transport       string
	ProtocolVersion string
	SessionID       string
	RequestID       string
}

// readRequest extracts requestInfo from an SDK request. GetParams may return
// a typed nil.
func readRequest(method string, req mcp.Request) requestInfo {
	info := requestInfo{Method: method, Transport: transportStdio}
	if req == nil {
		return info
	}
	if p := req.GetParams(); p != nil && !reflect.ValueOf(p).IsNil() {
		info.Meta = p.GetMeta()
		switch p := p.(type) {
		case *mcp.CallToolParamsRaw:
			info.Tool, info.Arguments = p.Name, p.Arguments
		case *mcp.GetPromptParams:
			info.Tool = p.Name
		}
	}
	if extra := req.GetExtra(); extra != nil && extra.Header != nil {
		info.Header = extra.Header
		info.Transport = transportHTTP
		info.RequestID = extra.Header.Get(internalRequestIDHeader)
	}
	if v, ok := req.(interface{ ProtocolVersion() string }); ok {
		info.ProtocolVersion = v.ProtocolVersion()
	}
	if s := req.GetSession(); s != nil && !reflect.ValueOf(s).IsNil() {
		info.SessionID = s.ID()
	}
	return info
}

// target is the second part of the span name: the tool or prompt name.
func (r requestInfo) target() string {
	return strings.TrimSpace(r.Tool)
}

// spanName follows the MCP conventions: "{mcp.method.name} {target}".
func (r requestInfo) spanName() string {
	if t := r.target(); t != "" {
		return r.Method + " " + t
	}
	return r.Method
}

type callKey struct{}

// call is the mutable per-request state the pipeline steps share: what
// admission decided, what dispatch did. It lives in the context of one
// request only.
type call struct {
	Info      requestInfo
	Entry     *toolEntry // resolved tool, nil for unknown tools
	Admission admission
	ErrType   string // error.type once known

	invalidArgs bool // the tool handler refused the arguments
	audited     bool // the request's audit record is written

	span  trace.Span
	start time.Time
}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// callFrom returns the request's call state; a fresh one when the pipeline
// did not run (direct handler use in tests).
func callFrom(ctx context.Context) *call {
	if c, ok := ctx.Value(callKey{}).(*call); ok {
		return c
	}
	return &call{}
}
