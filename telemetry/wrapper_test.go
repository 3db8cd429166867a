package telemetry_test

import (
	"context"
	"testing"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/errors"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
	microotel "go-micro.dev/v5/wrapper/trace/opentelemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/internal/oteltest"
	"github.com/tracegate/tracegate/telemetry"
)

func attrMap(kvs []attribute.KeyValue) map[attribute.Key]string {
	m := map[attribute.Key]string{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value.String()
	}
	return m
}

func TestWrappersChainTwoHops(t *testing.T) {
	capture := oteltest.New(t)
	tp := telemetry.WithTracerProvider(capture.TracerProvider)
	reg := registry.NewMemoryRegistry()
	startEcho(t, reg, "second", &Echo{}, telemetry.NewHandlerWrapper(tp))
	downstream := newClient(t, reg, client.WrapCall(telemetry.NewCallWrapper(tp)))
	startEcho(t, reg, "first", &Echo{next: func(ctx context.Context) error {
		return downstream.Call(ctx, downstream.NewRequest("second", "Echo.Call", &EchoRequest{Text: "b"}), &EchoResponse{})
	}}, telemetry.NewHandlerWrapper(tp))
	caller := newClient(t, reg, client.Wrap(telemetry.NewClientWrapper(tp)))

	ctx, root := capture.TracerProvider.Tracer("test").Start(context.Background(), "root")
	var rsp EchoResponse
	if err := caller.Call(ctx, caller.NewRequest("first", "Echo.Call", &EchoRequest{Text: "a"}), &rsp); err != nil {
		t.Fatalf("call: %v", err)
	}
	root.End()

	byName := map[string]trace.SpanKind{}
	parent := map[string]trace.SpanID{}
	ids := map[string]trace.SpanID{}
	for _, s := range capture.Spans() {
		if s.SpanContext.TraceID() != root.SpanContext().TraceID() {
			t.Fatalf("span %s in another trace", s.Name)
		}
		key := s.Name + "/" + s.SpanKind.String()
		byName[key] = s.SpanKind
		parent[key] = s.Parent.SpanID()
		ids[key] = s.SpanContext.SpanID()
	}
	chain := []string{"root/internal", "first/Echo.Call/client", "first/Echo.Call/server", "second/Echo.Call/client", "second/Echo.Call/server"}
	for i := 1; i < len(chain); i++ {
		if _, ok := ids[chain[i]]; !ok {
			t.Fatalf("missing span %s; have %v", chain[i], byName)
		}
		if parent[chain[i]] != ids[chain[i-1]] {
			t.Errorf("%s parent = %s, want %s (%s)", chain[i], parent[chain[i]], ids[chain[i-1]], chain[i-1])
		}
	}
	if len(ids) != len(chain) {
		t.Errorf("spans = %v, want exactly %v", byName, chain)
	}
	srv, _ := capture.SpanNamed("second/Echo.Call")
	for _, s := range capture.Spans() {
		if s.Name == "second/Echo.Call" && s.SpanKind == trace.SpanKindClient {
			a := attrMap(s.Attributes)
			if a["server.address"] != "127.0.0.1" || a["server.port"] == "" {
				t.Errorf("call wrapper span lacks server address: %v", a)
			}
		}
	}
	a := attrMap(srv.Attributes)
	if a["rpc.system"] != "go-micro" || a["rpc.service"] != "second" || a["rpc.method"] != "Echo.Call" {
		t.Errorf("rpc attributes = %v", a)
	}
	if srv.Status.Code != codes.Unset {
		t.Errorf("status on success = %v, want Unset", srv.Status)
	}
}

func TestWrapperRecordsGoMicroErrors(t *testing.T) {
	capture := oteltest.New(t)
	tp := telemetry.WithTracerProvider(capture.TracerProvider)
	reg := registry.NewMemoryRegistry()
	startEcho(t, reg, "failing", &Echo{next: func(context.Context) error {
		return errors.NotFound("failing.Echo.Call", "no such thing")
	}}, telemetry.NewHandlerWrapper(tp))
	c := newClient(t, reg, client.Wrap(telemetry.NewClientWrapper(tp)))
	err := c.Call(context.Background(), c.NewRequest("failing", "Echo.Call", &EchoRequest{}), &EchoResponse{})
	if errors.FromError(err).Code != 404 {
		t.Fatalf("err = %v, want 404", err)
	}
	for _, s := range capture.Spans() {
		a := attrMap(s.Attributes)
		if a["error.type"] != "404" || a["rpc.response.status_code"] != "404" || s.Status.Code != codes.Error {
			t.Errorf("%s %s: attrs %v status %v", s.Name, s.SpanKind, a, s.Status)
		}
	}
	if len(capture.Spans()) != 2 {
		t.Fatalf("spans = %d, want client and server", len(capture.Spans()))
	}
}

func TestFiltersSkipTracing(t *testing.T) {
	capture := oteltest.New(t)
	tp := telemetry.WithTracerProvider(capture.TracerProvider)
	reg := registry.NewMemoryRegistry()
	skip := telemetry.WithClientFilter(func(context.Context, client.Request) bool { return false })
	startEcho(t, reg, "quiet", &Echo{}, telemetry.NewHandlerWrapper(tp))
	c := newClient(t, reg, client.Wrap(telemetry.NewClientWrapper(tp, skip)))
	if err := c.Call(context.Background(), c.NewRequest("quiet", "Echo.Call", &EchoRequest{}), &EchoResponse{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range capture.Spans() {
		if s.SpanKind == trace.SpanKindClient {
			t.Fatalf("filtered call traced: %s", s.Name)
		}
	}
}

// parentedCalls makes n calls from a context whose metadata already carries a
// stale lowercase traceparent (as an earlier hop or another library injects
// it) and counts the SERVER spans parented to the client span of their call.
func parentedCalls(t *testing.T, n int, wrap client.Wrapper, capture *oteltest.Capture, reg registry.Registry) int {
	t.Helper()
	c := newClient(t, reg, client.Wrap(wrap))
	tracer := capture.TracerProvider.Tracer("test")
	ok := 0
	for i := 0; i < n; i++ {
		capture.Reset()
		ctx := metadata.NewContext(context.Background(), metadata.Metadata{"traceparent": parentA})
		ctx, root := tracer.Start(ctx, "root")
		if err := c.Call(ctx, c.NewRequest("target", "Echo.Call", &EchoRequest{}), &EchoResponse{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		root.End()
		var clientID, serverParent trace.SpanID
		for _, s := range capture.Spans() {
			switch s.SpanKind {
			case trace.SpanKindClient:
				clientID = s.SpanContext.SpanID()
			case trace.SpanKindServer:
				serverParent = s.Parent.SpanID()
			}
		}
		if clientID.IsValid() && serverParent == clientID {
			ok++
		}
	}
	return ok
}

// TestClientWrapperParentsEveryCall is the regression test for go-micro's own
// wrapper, which adds a Title-cased Traceparent beside the caller's key, so the
// server sees a random one of the two.
func TestClientWrapperParentsEveryCall(t *testing.T) {
	capture := oteltest.New(t)
	reg := registry.NewMemoryRegistry()
	startEcho(t, reg, "target", &Echo{}, telemetry.NewHandlerWrapper(telemetry.WithTracerProvider(capture.TracerProvider)))

	const n = 100
	ours := parentedCalls(t, n, telemetry.NewClientWrapper(telemetry.WithTracerProvider(capture.TracerProvider)), capture, reg)
	if ours != n {
		t.Fatalf("tracegate client wrapper: %d/%d calls parented to their client span", ours, n)
	}
	peer := parentedCalls(t, n, microotel.NewClientWrapper(microotel.WithTraceProvider(capture.TracerProvider)), capture, reg)
	t.Logf("parented to their client span: tracegate %d/%d, go-micro wrapper/trace/opentelemetry %d/%d", ours, n, peer, n)
}
