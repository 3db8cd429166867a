//go:build e2e

package gateway_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go-micro.dev/v5/registry"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/examples/blog/comments"
	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/internal/e2etest"
	"github.com/tracegate/tracegate/internal/gatewaytest"
	"github.com/tracegate/tracegate/internal/jaegertest"
	"github.com/tracegate/tracegate/internal/oauthtest"
	"github.com/tracegate/tracegate/telemetry"
)

// stack is the blog behind a JWT-protected gateway, every process with its
// own providers exporting to the test's Jaeger.
type stack struct {
	j      *jaegertest.Jaeger
	iss    *oauthtest.Issuer
	url    string
	agent  trace.Tracer
	flush  []func(context.Context) error
	audit  string
	prop   propagation.TextMapPropagator
	closed bool
}

func startStack(t *testing.T) *stack {
	t.Helper()
	j := jaegertest.FromEnv(t)
	j.Setenv(t)
	s := &stack{j: j, iss: oauthtest.Start(t), prop: telemetry.NewPropagator()}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.NewMemoryRegistry()
	for _, b := range []struct {
		name string
		new  func(svc.Options) (*svc.Service, error)
	}{{users.Name, users.New}, {posts.Name, posts.New}, {comments.Name, comments.New}} {
		p, _ := e2etest.Providers(t, b.name)
		s.addFlush(p)
		e2etest.StartService(t, b.new, reg, p, guard.NewHandlerWrapper(guard.WithPublicKey(pub), guard.WithForwardedIdentities(), guard.WithAudience(b.name)))
	}
	agent, _ := e2etest.Providers(t, "e2e-agent")
	s.addFlush(agent)
	s.agent = agent.TracerProvider.Tracer("e2e-agent")

	// The gateway samples as `tracegate serve` does: its own spans always.
	gp, _ := e2etest.Providers(t, "tracegate", telemetry.WithSampler(audit.CheckpointSampler(telemetry.EvidenceSampler(nil))))
	s.addFlush(gp)
	s.audit = filepath.Join(t.TempDir(), "audit.jsonl")
	cfg := gateway.DefaultConfig()
	cfg.Auth = gateway.AuthConfig{Resource: oauthtest.Audience, Issuer: s.iss.URL()}
	cfg.Policy.RateLimit.AccountTool = []policy.ToolLimit{{Tool: "users.Users.Read", Limit: policy.Limit{Rate: 0.01, Burst: 1}}}
	cfg.Audit.File.Path = s.audit
	cfg.Audit.Mode = audit.ModeStrict
	srv := httptest.NewUnstartedServer(nil)
	gatewaytest.Serve(t, srv, gateway.Options{
		Registry:       reg,
		TraceProvider:  gp.TracerProvider,
		MeterProvider:  gp.MeterProvider,
		LoggerProvider: gp.LoggerProvider,
		Propagator:     gp.Propagator,
		IdentityKey:    key,
		Logger:         log.New(io.Discard, "", 0),
		Config:         cfg,
	})
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	s.url = srv.URL
	return s
}

func (s *stack) addFlush(p telemetry.Providers) {
	s.flush = append(s.flush, p.TracerProvider.ForceFlush, p.LoggerProvider.ForceFlush)
}

// flushAll exports what every process holds.
func (s *stack) flushAll(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2etest.FlushTimeout)
	defer cancel()
	for _, f := range s.flush {
		if err := f(ctx); err != nil {
			t.Errorf("flush: %v", err)
		}
	}
}

// token signs a token for subject with scope and intent.
func (s *stack) token(t *testing.T, subject, scope, intent string) string {
	t.Helper()
	c := s.iss.Claims()
	c["sub"], c["scope"], c["intent"] = subject, scope, intent
	return s.iss.Sign(t, "rsa-1", jwa.RS256(), c)
}

// bearer adds fixed headers to every request.
type bearer struct {
	header http.Header
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range b.header {
		r.Header[k] = v
	}
	return http.DefaultTransport.RoundTrip(r)
}

// connect opens an MCP session (2026-07-28) with token and extra headers.
func (s *stack) connect(t *testing.T, token string, extra http.Header) *mcp.ClientSession {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}}
	for k, v := range extra {
		h[k] = v
	}
	tr := &mcp.StreamableClientTransport{Endpoint: s.url + "/mcp", HTTPClient: &http.Client{Transport: bearer{h}}, MaxRetries: -1}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e-agent", Version: "1"}, nil).Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// callUnder calls tool inside a new agent root span, sending its context in
// params._meta; it returns the root's trace id and the call's error.
func (s *stack) callUnder(t *testing.T, cs *mcp.ClientSession, name, tool string, args map[string]any) (string, *mcp.CallToolResult, error) {
	t.Helper()
	ctx, root := s.agent.Start(context.Background(), name)
	defer root.End()
	carrier := propagation.MapCarrier{}
	s.prop.Inject(ctx, carrier)
	meta := mcp.Meta{}
	for k, v := range carrier {
		meta[k] = v
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args, Meta: meta})
	return root.SpanContext().TraceID().String(), res, err
}

// waitTrace waits until Jaeger has the trace with a span of every service
// in want.
func (s *stack) waitTrace(t *testing.T, id string, want ...string) jaegertest.Trace {
	t.Helper()
	return s.j.WaitTrace(t, id, func(tr jaegertest.Trace) bool {
		have := map[string]bool{}
		for _, sp := range tr.Spans {
			have[tr.Service(sp)] = true
		}
		for _, w := range want {
			if !have[w] {
				return false
			}
		}
		return true
	}, 30*time.Second)
}
