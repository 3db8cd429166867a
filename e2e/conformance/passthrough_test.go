package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestResultMCPPassthrough checks result mode "mcp" without Node: content
// blocks and structuredContent pass through typed, a service error and a
// response that is not MCP-shaped become isError results.
func TestResultMCPPassthrough(t *testing.T) {
	e := startEnv(t)
	for _, era := range []string{"2025-11-25", ""} {
		name := era
		if name == "" {
			name = "negotiated"
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			tr := &mcp.StreamableClientTransport{Endpoint: e.srv.URL + "/mcp", MaxRetries: -1}
			var opts *mcp.ClientSessionOptions
			if era != "" {
				opts = &mcp.ClientSessionOptions{ProtocolVersion: era}
			}
			cs, err := mcp.NewClient(&mcp.Implementation{Name: "passthrough", Version: "1"}, nil).Connect(ctx, tr, opts)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer cs.Close()
			callTool := func(tool string) *mcp.CallToolResult {
				t.Helper()
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: map[string]any{}})
				if err != nil {
					t.Fatalf("%s: %v", tool, err)
				}
				return res
			}

			res := callTool("test_image_content")
			img, ok := res.Content[0].(*mcp.ImageContent)
			if len(res.Content) != 1 || !ok || img.MIMEType != "image/png" || !bytes.HasPrefix(img.Data, []byte("\x89PNG")) || res.IsError {
				t.Fatalf("image result = %s", js(res))
			}

			res = callTool("test_multiple_content_types")
			if len(res.Content) != 3 || res.IsError {
				t.Fatalf("mixed result = %s", js(res))
			}
			if _, ok := res.Content[2].(*mcp.EmbeddedResource); !ok {
				t.Fatalf("block 2 = %T", res.Content[2])
			}
			if got := js(res.StructuredContent); got != `{"test":"data","value":123}` {
				t.Fatalf("structuredContent = %s", got)
			}

			res = callTool("test_error_handling")
			if !res.IsError || !strings.Contains(textOf(res), "intentionally returns an error") {
				t.Fatalf("error result = %s", js(res))
			}

			res = callTool("bad_shape_result")
			if !res.IsError || !strings.Contains(textOf(res), "not an MCP tool result") {
				t.Fatalf("bad shape result = %s", js(res))
			}
		})
	}
}

func textOf(res *mcp.CallToolResult) string {
	if len(res.Content) == 0 {
		return ""
	}
	if tc, ok := res.Content[0].(*mcp.TextContent); ok {
		return tc.Text
	}
	return ""
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
