// Package gatewaytest starts gateways for tests: built, started, optionally
// served, and closed when the test ends.
package gatewaytest

import (
	"context"
	"io"

	"net/http/httptest"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway"
)

// Start builds and starts a gateway with opts; it closes at cleanup.
func Start(t testing.TB, opts gateway.Options) *gateway.Gateway {
	t.Helper()
	gw, err := gateway.New(opts)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := gw.Start(ctx); err != nil {
		cancel()
		_ = gw.Close()
		t.Fatalf("gateway.Start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := gw.Close(); err != nil {
			t.Errorf("gateway.Close: %v", err)
		}
	})
	return gw
}

// Serve starts a gateway with opts and serves it on srv, an unstarted
// httptest server (its URL, known beforehand, can be the gateway's resource
// URI). The server closes, with its client connections, before the gateway.
func Serve(t testing.TB, srv *httptest.Server, opts gateway.Options) *gateway.Gateway {
	t.Helper()
	gw := Start(t, opts)
	srv.Config.Handler = gw.Handler()
	srv.Start()
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return gw
}

// Connect opens an MCP client session on gw over a pipe served by
// [gateway.Gateway.ServeStdio] (newline-delimited JSON-RPC, the stdio
// transport): the requests go through the gateway's one parse and pipeline
// like any client's. opts may be nil. The session closes at cleanup.
func Connect(t testing.TB, gw *gateway.Gateway, opts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.ServeStdio(ctx, toServer, fromServer) }()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-agent", Version: "1"}, opts).
		Connect(ctx, &mcp.IOTransport{Reader: toClient, Writer: fromClient}, nil)
	if err != nil {
		cancel()
		t.Fatalf("client connect: %v", err)
	}
	t.Cleanup(func() {
		_ = cs.Close()
		cancel()
		_ = toServer.Close()
		_ = fromServer.Close()
		<-served
	})
	return cs
}
