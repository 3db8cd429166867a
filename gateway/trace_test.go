package gateway_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/telemetry"
)

func attrs(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// traceparentOf renders a span context as a W3C traceparent.
func traceparentOf(sc trace.SpanContext) string {
	c := propagation.MapCarrier{}
	telemetry.NewPropagator().Inject(trace.ContextWithSpanContext(context.Background(), sc), c)
	return c["traceparent"]
}

func spanByKind(spans tracetest.SpanStubs, name string, kind trace.SpanKind) (tracetest.SpanStub, bool) {
	for _, s := range spans {
		if s.Name == name && s.SpanKind == kind {
			return s, true
		}
	}
	return tracetest.SpanStub{}, false
}

// TestTraceChainFromMeta: a client root span sent as params._meta.traceparent
// parents the gateway SERVER span, which parents the dispatch CLIENT span,
// which parents the service spans.
func TestTraceChainFromMeta(t *testing.T) {
	e := newEnv(t)
	cs := e.connect(t, nil)
	var u struct{ User user }
	call(t, cs, "users.Users.Create", map[string]any{"name": "carol", "email": "carol@example.com"}, &u)
	var p struct{ Post post }
	call(t, cs, "posts.Posts.Create", map[string]any{"title": "t", "body": "b", "author_id": u.User.ID}, &p)
	e.capture.Reset()

	ctx, root := e.capture.TracerProvider.Tracer("agent").Start(context.Background(), "user message")
	_, err := cs.CallTool(ctx, &mcp.CallToolParams{
		Name:      "comments.Comments.Create",
		Arguments: map[string]any{"post_id": p.Post.ID, "author_id": u.User.ID, "body": "hi"},
		Meta:      mcp.Meta{"traceparent": traceparentOf(root.SpanContext())},
	})
	root.End()
	if err != nil {
		t.Fatal(err)
	}
	spans := e.capture.Spans()
	chain := []struct {
		name string
		kind trace.SpanKind
	}{
		{"user message", trace.SpanKindInternal},
		{"tools/call comments.Comments.Create", trace.SpanKindServer},
		{"comments/Comments.Create", trace.SpanKindClient},
		{"comments/Comments.Create", trace.SpanKindServer},
		{"posts/Posts.Read", trace.SpanKindClient},
		{"posts/Posts.Read", trace.SpanKindServer},
	}
	var prev tracetest.SpanStub
	for i, c := range chain {
		s, ok := spanByKind(spans, c.name, c.kind)
		if !ok {
			t.Fatalf("missing %s (%s)", c.name, c.kind)
		}
		if s.SpanContext.TraceID() != root.SpanContext().TraceID() {
			t.Fatalf("%s in trace %s, want %s", c.name, s.SpanContext.TraceID(), root.SpanContext().TraceID())
		}
		if i > 0 && s.Parent.SpanID() != prev.SpanContext.SpanID() {
			t.Fatalf("%s (%s) parent %s, want %s (%s)", c.name, c.kind, s.Parent.SpanID(), prev.SpanContext.SpanID(), prev.Name)
		}
		prev = s
	}
	gw, _ := spanByKind(spans, "tools/call comments.Comments.Create", trace.SpanKindServer)
	a := attrs(gw.Attributes)
	want := map[string]string{
		"mcp.method.name":       "tools/call",
		"gen_ai.tool.name":      "comments.Comments.Create",
		"gen_ai.operation.name": "execute_tool",
		"network.transport":     "pipe",
	}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
	if gw.Status.Code != codes.Unset {
		t.Errorf("status %v on success", gw.Status)
	}
}

func TestTraceParentSources(t *testing.T) {
	e := newEnv(t)
	srv := e.serveHTTP(t)
	tracer := e.capture.TracerProvider.Tracer("agent")
	_, metaSpan := tracer.Start(context.Background(), "meta parent")
	_, hdrSpan := tracer.Start(context.Background(), "header parent")
	metaSC, hdrSC := metaSpan.SpanContext(), hdrSpan.SpanContext()

	for _, tc := range []struct {
		name       string
		meta       string
		header     string
		wantParent trace.SpanContext // invalid: new root
		wantLink   trace.SpanContext
	}{
		{"meta only", traceparentOf(metaSC), "", metaSC, trace.SpanContext{}},
		{"header only", "", traceparentOf(hdrSC), hdrSC, trace.SpanContext{}},
		{"both differ: meta wins, header linked", traceparentOf(metaSC), traceparentOf(hdrSC), metaSC, hdrSC},
		{"garbage", "00-zzzz-garbage-01", "", trace.SpanContext{}, trace.SpanContext{}},
		{"all zero", "00-00000000000000000000000000000000-0000000000000000-01", "", trace.SpanContext{}, trace.SpanContext{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("traceparent", tc.header)
			}
			cs := connectHTTP(t, srv.URL, "", h)
			e.capture.Reset()
			meta := mcp.Meta{}
			if tc.meta != "" {
				meta["traceparent"] = tc.meta
			}
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "users.Users.List", Arguments: map[string]any{}, Meta: meta})
			if err != nil || res.IsError {
				t.Fatalf("call failed: %v %+v", err, res)
			}
			s, ok := spanByKind(e.capture.Spans(), "tools/call users.Users.List", trace.SpanKindServer)
			if !ok {
				t.Fatal("no gateway span")
			}
			if tc.wantParent.IsValid() {
				if s.Parent.SpanID() != tc.wantParent.SpanID() || s.SpanContext.TraceID() != tc.wantParent.TraceID() {
					t.Fatalf("parent %s/%s, want %s/%s", s.SpanContext.TraceID(), s.Parent.SpanID(), tc.wantParent.TraceID(), tc.wantParent.SpanID())
				}
			} else if s.Parent.IsValid() {
				t.Fatalf("want a new root, got parent %s", s.Parent.SpanID())
			}
			var linked []trace.SpanID
			for _, l := range s.Links {
				linked = append(linked, l.SpanContext.SpanID())
			}
			if tc.wantLink.IsValid() != (len(linked) == 1) || (tc.wantLink.IsValid() && linked[0] != tc.wantLink.SpanID()) {
				t.Fatalf("links = %v, want %v", linked, tc.wantLink.SpanID())
			}
		})
	}
}

func TestTrustPolicies(t *testing.T) {
	for _, tc := range []struct {
		trust      gateway.TrustPolicy
		wantParent bool
		wantLink   bool
	}{
		{gateway.TrustParent, true, false},
		{gateway.TrustLink, false, true},
		{gateway.TrustIgnore, false, false},
	} {
		t.Run(string(tc.trust), func(t *testing.T) {
			e := newEnv(t, func(o *gateway.Options) { o.Config.Trust = tc.trust })
			cs := e.connect(t, nil)
			_, client := e.capture.TracerProvider.Tracer("agent").Start(context.Background(), "agent")
			e.capture.Reset()
			if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "users.Users.List", Arguments: map[string]any{},
				Meta: mcp.Meta{"traceparent": traceparentOf(client.SpanContext())}}); err != nil {
				t.Fatal(err)
			}
			s, _ := spanByKind(e.capture.Spans(), "tools/call users.Users.List", trace.SpanKindServer)
			if got := s.Parent.SpanID() == client.SpanContext().SpanID(); got != tc.wantParent {
				t.Fatalf("parented = %v, want %v", got, tc.wantParent)
			}
			if got := len(s.Links) == 1 && s.Links[0].SpanContext.SpanID() == client.SpanContext().SpanID(); got != tc.wantLink {
				t.Fatalf("linked = %v, want %v", got, tc.wantLink)
			}
		})
	}
}

func TestErrorTypes(t *testing.T) {
	e := newEnv(t)
	cs := e.connect(t, nil)
	_ = call(t, cs, "posts.Posts.Read", map[string]any{"id": "missing"}, nil)
	_, _ = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "nope.Nope.Nope", Arguments: map[string]any{}})
	for name, want := range map[string]string{
		"tools/call posts.Posts.Read": "tool_error",
		"tools/call":                  "-32602", // unknown tools never name spans
	} {
		s, ok := spanByKind(e.capture.Spans(), name, trace.SpanKindServer)
		if !ok {
			t.Fatalf("no span %s", name)
		}
		if a := attrs(s.Attributes); a["error.type"] != want || s.Status.Code != codes.Error {
			t.Errorf("%s: error.type %q status %v, want %q/Error", name, a["error.type"], s.Status.Code, want)
		}
	}
}

func TestOperationDurationMetric(t *testing.T) {
	e := newEnv(t)
	cs := e.connect(t, nil)
	call(t, cs, "users.Users.List", map[string]any{}, nil)
	_, _ = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "nope.Nope.Nope", Arguments: map[string]any{}})
	rm := e.capture.Metrics(t)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "mcp.server.operation.duration" {
				continue
			}
			if m.Unit != "s" {
				t.Fatalf("unit %q, want s", m.Unit)
			}
			h, ok := m.Data.(metricdata.Histogram[float64])
			if !ok {
				t.Fatalf("data %T, want a float64 histogram", m.Data)
			}
			seen := map[string]bool{}
			for _, dp := range h.DataPoints {
				method, _ := dp.Attributes.Value("mcp.method.name")
				tool, _ := dp.Attributes.Value("gen_ai.tool.name")
				errType, _ := dp.Attributes.Value("error.type")
				seen[method.AsString()+"|"+tool.AsString()+"|"+errType.AsString()] = true
				if len(dp.Bounds) == 0 || dp.Bounds[0] != 0.01 {
					t.Errorf("bounds %v, want the semconv buckets", dp.Bounds)
				}
			}
			// Unknown tool names are not recorded (bounded cardinality).
			if !seen["tools/call|users.Users.List|"] || !seen["tools/call||-32602"] {
				t.Fatalf("data points %v", seen)
			}
			return
		}
	}
	t.Fatal("no mcp.server.operation.duration metric")
}
