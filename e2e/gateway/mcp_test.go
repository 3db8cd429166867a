//go:build e2e

package gateway_test

import "github.com/modelcontextprotocol/go-sdk/mcp"

// mcpCall is a tools/call with optional _meta.
func mcpCall(tool string, meta map[string]any) *mcp.CallToolParams {
	p := &mcp.CallToolParams{Name: tool, Arguments: map[string]any{}}
	if meta != nil {
		p.Meta = mcp.Meta(meta)
	}
	return p
}
