package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	microerrors "go-micro.dev/v5/errors"

	"github.com/tracegate/tracegate/gateway/tool"
	"github.com/tracegate/tracegate/internal/microkit"
)

// resultFor maps a service response per the tool's result mode.
func resultFor(e *toolEntry, body json.RawMessage) *mcp.CallToolResult {
	if e.ResultMode == tool.ResultMCP {
		res, err := mcpResult(body)
		if err != nil {
			detail := fmt.Sprintf("tool %s: service %s returned a response that is not an MCP tool result (result mode %q): %v",
				e.Name, e.Service, tool.ResultMCP, err)
			return errorResult(microerrors.New(e.Service, detail, http.StatusBadGateway))
		}
		return res
	}
	return toolResult(body)
}

// mcpResponse is the shape a [tool.ResultMCP] endpoint returns. Only these
// three fields pass through: _meta, resultType, inputRequests and the like
// belong to the gateway, not to the service.
type mcpResponse struct {
	Content           json.RawMessage `json:"content"`
	StructuredContent json.RawMessage `json:"structuredContent"`
	IsError           bool            `json:"isError"`
}

// mcpResult decodes a service response of the form {"content": [MCP content
// blocks], "structuredContent": {...}?, "isError": bool?} into a tool result,
// using the SDK's content decoding (unknown block types are an error).
// structuredContent stays raw JSON so big integers survive.
func mcpResult(body json.RawMessage) (*mcp.CallToolResult, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, errors.New("want a JSON object with a content array")
	}
	var r mcpResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	if c := bytes.TrimSpace(r.Content); len(c) == 0 || c[0] != '[' {
		return nil, errors.New(`"content" must be an array of MCP content blocks`)
	}
	var blocks mcp.CallToolResult
	if err := json.Unmarshal(fmt.Appendf(nil, `{"content":%s}`, r.Content), &blocks); err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	res := &mcp.CallToolResult{Content: blocks.Content, IsError: r.IsError}
	if res.Content == nil {
		res.Content = []mcp.Content{}
	}
	switch sc := bytes.TrimSpace(r.StructuredContent); {
	case len(sc) == 0 || string(sc) == "null":
	case sc[0] == '{':
		res.StructuredContent = json.RawMessage(sc)
	default:
		return nil, errors.New(`"structuredContent" must be a JSON object`)
	}
	return res, nil
}

// toolResult turns a service response into a tool result: the JSON as
// structuredContent (wrapped as {"result": …} when it is not an object, as
// the spec requires an object) and the same JSON as a text block for clients
// that read only content.
func toolResult(body json.RawMessage) *mcp.CallToolResult {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = json.RawMessage("null")
	}
	var structured any = body
	if body[0] != '{' {
		structured = map[string]json.RawMessage{"result": body}
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{&mcp.TextContent{Text: string(body)}},
		StructuredContent: structured,
	}
}

// errorResult turns a failed dispatch into a tool result with isError, so the
// agent sees the service's error (id, code, detail, status) and can react. A
// failing backend is not a protocol error.
// A service that cannot be reached (connection refused, no node) is
// reported as "service unavailable" (503) without the internal addresses of
// go-micro's error; the details stay on the span.
func errorResult(err error) *mcp.CallToolResult {
	merr := microerrors.FromError(errors.Unwrap(err))
	if merr == nil || (merr.Code == 0 && merr.Detail == "") {
		merr = microerrors.FromError(err)
	}
	if microkit.IsUnavailable(err) {
		merr = &microerrors.Error{Id: "tracegate", Code: http.StatusServiceUnavailable,
			Detail: microkit.ErrUnavailable.Error(), Status: http.StatusText(http.StatusServiceUnavailable)}
	}
	payload := map[string]any{"error": map[string]any{
		"id":     merr.Id,
		"code":   merr.Code,
		"detail": merr.Detail,
		"status": merr.Status,
	}}
	text, _ := json.Marshal(payload)
	return &mcp.CallToolResult{
		IsError:           true,
		Content:           []mcp.Content{&mcp.TextContent{Text: string(text)}},
		StructuredContent: payload,
	}
}
