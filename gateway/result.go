package gateway

import (
	"bytes"
	"encoding/json"
	"errors"

	microerrors "go-micro.dev/v5/errors"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// resultFor maps a service response per the tool's result mode.
func resultFor(e *toolEntry, body json.RawMessage) *mcp.CallToolResult {
	return toolResult(body)
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
func errorResult(err error) *mcp.CallToolResult {
	merr := microerrors.FromError(errors.Unwrap(err))
	if merr == nil || (merr.Code == 0 && merr.Detail == "") {
		merr = microerrors.FromError(err)
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
