package gateway_test

import (
	"context"
	"errors"
	"io"
	"log"
	"strings"
	"testing"

	"go-micro.dev/v5/registry"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/internal/gatewaytest"
	"github.com/tracegate/tracegate/internal/oteltest"
)

// TestUnderscoreNameStyle: with tool_name_style underscore, clients see and
// call posts_Posts_Create-style names; overrides, the audit record and the
// events keep the canonical name.
func TestUnderscoreNameStyle(t *testing.T) {
	sink := &recordSink{}
	e := newEnv(t, func(o *gateway.Options) {
		o.Config.ToolNameStyle = gateway.StyleUnderscore
		o.AuditSinks = []audit.Sink{sink}
		o.Config.Policy.Scopes.Overrides = []policy.ScopeOverride{{Tool: "users.Users.List", Scopes: []string{"blog:read"}}}
	})
	cs := e.connect(t, nil)
	names := toolNames(t, cs)
	for _, n := range names {
		if strings.Contains(n, ".") || len(n) > 64 {
			t.Fatalf("tool name %q in underscore style", n)
		}
	}
	if !strings.Contains(strings.Join(names, " "), "users_Users_List") {
		t.Fatalf("tools %v", names)
	}
	call(t, cs, "users_Users_List", map[string]any{}, nil)
	var found bool
	for _, r := range sink.calls() {
		if r.Tool() == "users.Users.List" && r.RequiredScopes()[0] == "blog:read" && r.ScopeSource() == policy.SourceOverride {
			found = true
		}
	}
	if !found {
		t.Fatalf("no audit record for the canonical name with the override applied: %v", describe(sink.calls()))
	}
}

// TestToolNameConflictsStopStart: two tools that map to one display name,
// or a name over 64 characters in underscore style, stop the gateway at
// start with a clear error.
func TestToolNameConflictsStopStart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		services []*registry.Service
	}{
		{"two tools, one name", []*registry.Service{svcWith("x_Y", "Z.M"), svcWith("x", "Y_Z.M")}},
		{"over 64 characters", []*registry.Service{svcWith(strings.Repeat("s", 70), "A.B")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := registry.NewMemoryRegistry()
			for _, s := range tc.services {
				if err := reg.Register(s); err != nil {
					t.Fatal(err)
				}
			}
			gw, err := gateway.New(gateway.Options{Registry: reg, Logger: log.New(io.Discard, "", 0),
				Config: gateway.Config{Auth: gateway.AuthConfig{Anonymous: true}, ToolNameStyle: gateway.StyleUnderscore}})
			if err != nil {
				t.Fatal(err)
			}
			defer gw.Close()
			err = gw.Start(context.Background())
			if !errors.Is(err, gateway.ErrToolNameConflict) && !errors.Is(err, gateway.ErrBadToolName) {
				t.Fatalf("Start = %v, want a naming error", err)
			}
		})
	}
}

func svcWith(name, endpoint string) *registry.Service {
	return &registry.Service{Name: name, Version: "1",
		Endpoints: []*registry.Endpoint{{Name: endpoint, Request: &registry.Value{Name: "Req", Type: "Req"}}},
		Nodes:     []*registry.Node{{Id: name + "-1", Address: "127.0.0.1:1"}}}
}

// TestUnreachableServiceIsGeneric: a service that cannot be reached is an
// isError result saying "service unavailable", with no internal address;
// the address stays on the span.
func TestUnreachableServiceIsGeneric(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	if err := reg.Register(svcWith("dead", "Dead.Call")); err != nil { // node on 127.0.0.1:1, nothing listens
		t.Fatal(err)
	}
	capture := oteltest.New(t)
	gw := gatewaytest.Start(t, gateway.Options{Registry: reg, Logger: log.New(io.Discard, "", 0),
		TraceProvider: capture.TracerProvider, Config: gateway.Config{Auth: gateway.AuthConfig{Anonymous: true}}})
	cs := gatewaytest.Connect(t, gw, nil)
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "dead.Dead.Call", Arguments: map[string]any{}})
	if err != nil || !res.IsError {
		t.Fatalf("res %+v err %v", res, err)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	if !strings.Contains(text, "service unavailable") || strings.Contains(text, "127.0.0.1") {
		t.Fatalf("client sees %s", text)
	}
	s, ok := capture.SpanNamed("tools/call dead.Dead.Call")
	if !ok || !strings.Contains(attrs(s.Attributes)["tracegate.dispatch.error"], "127.0.0.1") {
		t.Fatalf("span lacks the dispatch error: %v", s.Attributes)
	}
}
