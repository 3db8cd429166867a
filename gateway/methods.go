package gateway

// MCP method names, declared once: a guessed string silently matches nothing.
const (
	methodToolsCall  = "tools/call"
	methodToolsList  = "tools/list"
	methodPromptsGet = "prompts/get"
)

// operationExecuteTool is gen_ai.operation.name for tools/call.
const operationExecuteTool = "execute_tool"

// errorTypeToolError is error.type for a tool result with isError.
const errorTypeToolError = "tool_error"
