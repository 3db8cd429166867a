package gateway

import (
	"errors"
	"slices"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MCP method names, declared once: a guessed string silently matches nothing.
const (
	methodInitialize  = "initialize"
	methodToolsCall   = "tools/call"
	methodToolsList   = "tools/list"
	methodPromptsGet  = "prompts/get"
	methodInitialized = "notifications/initialized"
	methodCancelled   = "notifications/cancelled"
	methodRootsListed = "notifications/roots/list_changed"
	methodProgress    = "notifications/progress"
	// methodResponse names, in audit records, a JSON-RPC response a client
	// sent (it has no method; the gateway refuses it).
	methodResponse = "response"
)

// knownMethods are the MCP methods a client may send (2025-11-25 and
// 2026-07-28), the only ones recorded as metric attributes.
var knownMethods = []string{
	methodInitialize, "ping", methodToolsList, methodToolsCall, "prompts/list", methodPromptsGet,
	"resources/list", "resources/templates/list", "resources/read", "resources/subscribe",
	"resources/unsubscribe", "completion/complete", "logging/setLevel", "server/discover",
	"subscriptions/listen", methodInitialized, methodCancelled, methodRootsListed, methodProgress,
}

func knownMethod(m string) bool { return slices.Contains(knownMethods, m) }

// Protocol versions. statelessEra is the first version of the stateless
// protocol: requests with Mcp-Protocol-Version at or after it are served
// without sessions, all others (initialize carries no version header) by
// the stateful handler.
const (
	statelessEra  = "2026-07-28"
	sessionEra    = "2025-11-25"
	maxVersionLen = 32
)

// knownVersion tells whether v is a protocol version the gateway speaks
// (bounded metric cardinality).
func knownVersion(v string) bool {
	return slices.Contains([]string{"2024-11-05", "2025-03-26", "2025-06-18", sessionEra, statelessEra}, v)
}

// operationExecuteTool is gen_ai.operation.name for tools/call.
const operationExecuteTool = "execute_tool"

// errorTypeToolError is error.type for a tool result with isError.
const errorTypeToolError = "tool_error"

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
