package conformance_test

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"testing"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/transport"

	"github.com/tracegate/tracegate/e2e/conformance/fixture"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// env is the fixture service on a memory registry and the gateway in front
// of it, served over HTTP on 127.0.0.1.
type env struct {
	gw  *gateway.Gateway
	srv *httptest.Server
}

// startEnv starts everything and stops it in reverse order at cleanup.
func startEnv(t *testing.T) *env {
	t.Helper()
	reg := registry.NewMemoryRegistry()
	svc, err := fixture.Start(
		microkit.WithRegistry(reg),
		microkit.WithTransport(transport.NewHTTPTransport()),
		microkit.WithAddress(microkit.DefaultAddress),
		microkit.WithLogger(microkittest.QuietLogger()),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := svc.Stop(); err != nil {
			t.Errorf("fixture stop: %v", err)
		}
	})
	gw, err := gateway.New(gateway.Options{
		Registry: reg,
		Logger:   log.New(io.Discard, "", 0),
		Config: gateway.Config{
			Tools: fixture.Tools(),
			// The suite sends no token.
			Auth: gateway.AuthConfig{Anonymous: true},
		},
	})
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := gw.Start(ctx); err != nil {
		cancel()
		t.Fatalf("gateway Start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := gw.Close(); err != nil {
			t.Errorf("gateway Close: %v", err)
		}
	})
	srv := httptest.NewServer(gw.Handler()) // binds 127.0.0.1
	t.Cleanup(srv.Close)
	return &env{gw: gw, srv: srv}
}
