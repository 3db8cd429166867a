// Package gatewaytest starts gateways for tests: built, started, optionally
// served, and closed when the test ends.
package gatewaytest

import (
	"context"
	"net/http/httptest"
	"testing"

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
