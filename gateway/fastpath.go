package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/reason"
)

// fastPath serves a stateless (2026-07-28) tools/call from the front's one
// parse, through the same pipeline, without an MCP SDK session per request:
// the SDK would parse the message again several times and build a
// ServerSession, a connection and goroutines for every call. It answers
// exactly as the SDK's stateless handler does (a server-sent event carrying
// the JSON-RPC response, the result's _meta naming the server, resultType
// "complete"), using the SDK's exported types; a differential test compares
// the two.
//
// Only the ordinary case takes it: everything the SDK would check or refuse
// itself (an unusual Accept header, a _meta without the client's
// capabilities, input responses, a tool whose schema binds parameters to
// headers, an id the SDK would re-encode) goes to the SDK, which keeps the
// protocol's behaviour in one place.
type fastPath struct {
	caller *caller
	impl   *mcp.Implementation
}

func newFastPath(g *Gateway) *fastPath {
	if g.opts.Config.DisableFastPath {
		return nil
	}
	return &fastPath{caller: g.caller, impl: &implementation}
}

// eligible tells whether ex can be served by the fast path.
func (fp *fastPath) eligible(ex *exchange) bool {
	m := ex.msg
	switch {
	case fp == nil, !ex.modern, m == nil, m.Method != methodToolsCall, ex.entry == nil, ex.entry.ParamHeaders:
		return false
	case ex.header.Get("Mcp-Protocol-Version") != statelessEra, ex.header.Get("Last-Event-ID") != "":
		return false
	case bytes.Contains(m.Params, []byte(`"inputResponses"`)), bytes.Contains(m.Params, []byte(`"requestState"`)):
		return false
	case !plainID(m.ID):
		return false
	}
	if v, _ := ex.meta[mcp.MetaKeyProtocolVersion].(string); v != statelessEra {
		return false
	}
	if _, ok := ex.meta[mcp.MetaKeyClientCapabilities].(map[string]any); !ok {
		return false
	}
	if ci, present := ex.meta[mcp.MetaKeyClientInfo]; present {
		info, ok := ci.(map[string]any)
		if _, named := info["name"].(string); !ok || !named {
			return false
		}
	}
	return acceptsBoth(ex.header.Values("Accept"))
}

// plainID: an integer or a string without escapes, which the SDK writes back
// byte for byte.
func plainID(id []byte) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	if id[0] == '"' {
		return !bytes.ContainsAny(id[1:len(id)-1], `\<>&"`)
	}
	for i, c := range id {
		if !(c >= '0' && c <= '9' || (i == 0 && c == '-')) {
			return false
		}
	}
	return len(id) < 16 // within ±2^53: the SDK carries numeric ids as float64
}

// acceptsBoth is true when Accept lists exactly application/json and
// text/event-stream (as media types, parameters ignored); wildcards and
// other forms are left to the SDK.
func acceptsBoth(values []string) bool {
	var jsonOK, streamOK bool
	for _, v := range values {
		for _, raw := range strings.Split(v, ",") {
			base, _, _ := strings.Cut(strings.TrimSpace(raw), ";")
			switch strings.ToLower(strings.TrimSpace(base)) {
			case "application/json":
				jsonOK = true
			case "text/event-stream":
				streamOK = true
			}
		}
	}
	return jsonOK && streamOK
}

// serve calls the tool and writes the answer into w (held by the front
// until the chain has finished). A refusal is left in ex.verdict for the
// front to answer.
func (fp *fastPath) serve(ctx context.Context, ex *exchange, w http.ResponseWriter) {
	res := fp.caller.call(ctx, ex)
	if ex.verdict != nil {
		return
	}
	if res.Meta == nil {
		res.Meta = mcp.Meta{}
	}
	if _, ok := res.Meta[mcp.MetaKeyServerInfo]; !ok {
		res.Meta[mcp.MetaKeyServerInfo] = fp.impl
	}
	result, err := completeResult(res)
	if err != nil {
		ex.refuse(refuseWith(reason.Internal, "cannot encode the tool result"))
		return
	}
	body, _ := encodeAnswer(ex.msg.ID, result, nil)
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("Content-Type", "text/event-stream")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	var b bytes.Buffer
	b.Grow(len(body) + 24)
	b.WriteString("event: message\ndata: ")
	b.Write(body)
	b.WriteString("\n\n")
	_, _ = w.Write(b.Bytes())
	ex.answered = true
}

// completeResult encodes res as the SDK does for the 2026-07-28 protocol:
// its JSON with resultType "complete" (SEP-2322), which the SDK sets
// through an unexported field.
func completeResult(res *mcp.CallToolResult) (json.RawMessage, error) {
	b, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, " \n")
	if len(b) < 2 || b[len(b)-1] != '}' {
		return b, nil
	}
	sep := ","
	if len(b) == 2 {
		sep = ""
	}
	return append(append(b[:len(b)-1:len(b)-1], sep+`"resultType":"complete"`...), '}'), nil
}
