package gateway

import (
	"context"
	"io"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ServeStdio serves MCP over newline-delimited JSON-RPC on in/out (the
// process's stdin/stdout for `tracegate serve --stdio`) until ctx ends or
// the client closes in. It runs the same pipeline as HTTP.
func (g *Gateway) ServeStdio(ctx context.Context, in io.ReadCloser, out io.WriteCloser) error {
	return g.server.Run(ctx, &mcp.IOTransport{Reader: in, Writer: out})
}
