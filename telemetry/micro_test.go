package telemetry_test

import (
	"context"
	"testing"

	"go-micro.dev/v5/broker"
	"go-micro.dev/v5/client"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/selector"
	"go-micro.dev/v5/server"
	"go-micro.dev/v5/transport"
	"go.uber.org/goleak"
)

// microLeakOptions ignores the two go-micro goroutines that have no way to be
// stopped: the memory registry's TTL pruner and the client cache's janitor.
func microLeakOptions() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("go-micro.dev/v5/registry.(*memRegistry).ttlPrune"),
		goleak.IgnoreAnyFunction("github.com/patrickmn/go-cache.(*janitor).Run"),
	}
}

// EchoRequest and EchoResponse are the test service's messages.
type EchoRequest struct {
	Text string `json:"text"`
}

type EchoResponse struct {
	Text string `json:"text"`
}

// Echo is the test handler; next, when set, is called inside it.
type Echo struct {
	next func(ctx context.Context) error
}

func (e *Echo) Call(ctx context.Context, req *EchoRequest, rsp *EchoResponse) error {
	rsp.Text = req.Text
	if e.next != nil {
		return e.next(ctx)
	}
	return nil
}

// startEcho starts a go-micro server named name on 127.0.0.1 with the memory
// registry and broker and an HTTP transport, stopped at cleanup.
func startEcho(t *testing.T, reg registry.Registry, name string, h *Echo, wrappers ...server.HandlerWrapper) {
	t.Helper()
	opts := []server.Option{
		server.Name(name),
		server.Registry(reg),
		server.Broker(broker.NewMemoryBroker()),
		server.Transport(transport.NewHTTPTransport()),
		server.Address("127.0.0.1:0"),
	}
	for _, w := range wrappers {
		opts = append(opts, server.WrapHandler(w))
	}
	srv := server.NewRPCServer(opts...)
	if err := srv.Handle(srv.NewHandler(h)); err != nil {
		t.Fatalf("handle: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
	})
}

// newClient returns a go-micro client with its own selector on reg; the
// selector's registry watcher stops at cleanup.
func newClient(t *testing.T, reg registry.Registry, opts ...client.Option) client.Client {
	sel := selector.NewSelector(selector.Registry(reg))
	t.Cleanup(func() { _ = sel.Close() })
	base := []client.Option{
		client.Selector(sel),
		client.Registry(reg),
		client.Broker(broker.NewMemoryBroker()),
		client.Transport(transport.NewHTTPTransport()),
	}
	return client.NewClient(append(base, opts...)...)
}
