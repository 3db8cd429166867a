package microkit_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/selector"
	"go-micro.dev/v5/server"

	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

type EchoRequest struct {
	Text string `json:"text"`
}

type EchoResponse struct {
	Text string `json:"text"`
}

type Echo struct{}

func (*Echo) Say(_ context.Context, req *EchoRequest, rsp *EchoResponse) error {
	rsp.Text = "echo: " + req.Text
	return nil
}

// startEcho starts an "echo" server on reg and stops it at cleanup.
func startEcho(t *testing.T, reg registry.Registry, opts ...microkit.Option) server.Server {
	t.Helper()
	srv, err := microkit.NewServer("echo", append([]microkit.Option{microkit.WithRegistry(reg), microkit.WithLogger(microkittest.QuietLogger())}, opts...)...)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	if err := srv.Handle(srv.NewHandler(&Echo{})); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return srv
}

func newClient(t *testing.T, reg registry.Registry) *microkit.Client {
	t.Helper()
	cli, err := microkit.NewClient(microkit.WithRegistry(reg), microkit.WithLogger(microkittest.QuietLogger()))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func call(t *testing.T, cli *microkit.Client, text string) string {
	t.Helper()
	var rsp EchoResponse
	req := cli.NewRequest("echo", "Echo.Say", &EchoRequest{Text: text})
	if err := cli.Call(context.Background(), req, &rsp); err != nil {
		t.Fatalf("Call: %v", err)
	}
	return rsp.Text
}

func TestServerAdvertisesLoopbackAndDeregisters(t *testing.T) {
	reg, err := microkit.NewRegistry("", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := startEcho(t, reg)

	svcs, err := reg.GetService("echo")
	if err != nil || len(svcs) != 1 || len(svcs[0].Nodes) != 1 {
		t.Fatalf("GetService = %v, %v; want one node", svcs, err)
	}
	if addr := svcs[0].Nodes[0].Address; !strings.HasPrefix(addr, "127.0.0.1:") || addr == "127.0.0.1:0" {
		t.Fatalf("advertised %q, want 127.0.0.1:<port>", addr)
	}
	if md := svcs[0].Nodes[0].Metadata; md["broker"] != "memory" || md["transport"] != "http" {
		t.Fatalf("node metadata = %v, want memory broker and http transport", md)
	}

	if got := call(t, newClient(t, reg), "hi"); got != "echo: hi" {
		t.Fatalf("Call = %q", got)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.GetService("echo"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("after Stop GetService err = %v, want ErrNotFound", err)
	}
}

func TestTwoServersSameNameKeepTwoNodes(t *testing.T) {
	reg, _ := microkit.NewRegistry(microkit.RegistryMemory, nil)
	startEcho(t, reg)
	startEcho(t, reg)
	svcs, err := reg.GetService("echo")
	if err != nil || len(svcs) != 1 || len(svcs[0].Nodes) != 2 {
		t.Fatalf("GetService = %+v, %v; want one service with two nodes", svcs, err)
	}
}

func TestClientLeavesDefaultSelectorAlone(t *testing.T) {
	before := selector.DefaultSelector.Options().Registry
	reg, _ := microkit.NewRegistry("", nil)
	startEcho(t, reg)
	cli := newClient(t, reg)
	_ = call(t, cli, "x")
	if after := selector.DefaultSelector.Options().Registry; after != before {
		t.Fatalf("default selector registry changed from %v to %v", before, after)
	}
	if got := cli.Options().Selector.Options().Registry; got != reg {
		t.Fatalf("client selector registry = %v, want the given one", got)
	}
	if got := cli.Options().Registry; got != reg {
		t.Fatalf("client registry = %v, want the given one", got)
	}
}

func TestRequiresRegistry(t *testing.T) {
	if _, err := microkit.NewServer("x"); !errors.Is(err, microkit.ErrNoRegistry) {
		t.Fatalf("NewServer err = %v, want ErrNoRegistry", err)
	}
	if _, err := microkit.NewClient(); !errors.Is(err, microkit.ErrNoRegistry) {
		t.Fatalf("NewClient err = %v, want ErrNoRegistry", err)
	}
	reg, _ := microkit.NewRegistry("", nil)
	if _, err := microkit.NewServer("", microkit.WithRegistry(reg)); err == nil {
		t.Fatal("NewServer with empty name: want error")
	}
}

func TestHandlerWrappersOutermostFirst(t *testing.T) {
	reg, _ := microkit.NewRegistry("", nil)
	var order []string
	wrap := func(name string) server.HandlerWrapper {
		return func(next server.HandlerFunc) server.HandlerFunc {
			return func(ctx context.Context, req server.Request, rsp interface{}) error {
				order = append(order, name)
				return next(ctx, req, rsp)
			}
		}
	}
	startEcho(t, reg, microkit.WithHandlerWrappers(wrap("outer"), nil, wrap("inner")))
	_ = call(t, newClient(t, reg), "x")
	if strings.Join(order, ",") != "outer,inner" {
		t.Fatalf("wrapper order = %v", order)
	}
}
