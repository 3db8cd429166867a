package agent_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/examples/agent"
)

// TestHandleOneMessageOneTrace runs the whole plan against the in-process
// topology in both protocol eras and checks the result, the agent's spans
// (root, one CLIENT span per MCP request) and that the gateway continued
// each call's trace from params._meta.
func TestHandleOneMessageOneTrace(t *testing.T) {
	for _, era := range []struct{ name, version string }{
		{"negotiated (2026-07-28, stateless)", ""},
		{"2025-11-25 session", "2025-11-25"},
	} {
		t.Run(era.name, func(t *testing.T) {
			st := startStack(t)
			tp := newTracerProvider(t, st.spans)
			cfg := agent.DefaultConfig()
			cfg.GatewayURL, cfg.AuthURL, cfg.ProtocolVersion = st.gatewayURL, st.authURL, era.version
			var out bytes.Buffer
			ag, err := agent.New(cfg, agent.WithTracerProvider(tp), agent.WithTransport(st.transport), agent.WithOutput(&out))
			if err != nil {
				t.Fatal(err)
			}
			msg := agent.NewMessage(agent.DefaultMessage)
			ctx := context.Background()
			if err := ag.Setup(ctx, msg); err != nil {
				t.Fatalf("Setup: %v\n%s", err, out.String())
			}
			res, err := ag.Handle(ctx, msg)
			if err != nil {
				t.Fatalf("Handle: %v\n%s", err, out.String())
			}
			assertSteps(t, res)
			assertSpans(t, st.spans.Ended(), res, era.version != "")
			if !strings.Contains(out.String(), `asks for scope "blog:admin"`) {
				t.Errorf("output does not report the challenge's scope:\n%s", out.String())
			}
		})
	}
}

func assertSteps(t *testing.T, res *agent.Result) {
	t.Helper()
	if res.Scope != "blog:read blog:write" {
		t.Errorf("token scope %q, want only what the plan needs", res.Scope)
	}
	want := []struct {
		tool    string
		outcome agent.Outcome
	}{
		{agent.ToolListUsers, agent.OutcomeOK},
		{agent.ToolCreatePost, agent.OutcomeOK},
		{agent.ToolCreateComment, agent.OutcomeOK},
		{agent.ToolDeletePost, agent.OutcomeDenied},
		{agent.ToolListComments, agent.OutcomeOK}, // the session survived the 403
	}
	if len(res.Steps) != len(want) {
		t.Fatalf("%d steps, want %d: %+v", len(res.Steps), len(want), res.Steps)
	}
	for i, w := range want {
		if s := res.Steps[i]; s.Tool != w.tool || s.Outcome != w.outcome || s.Err != nil {
			t.Errorf("step %d: %s %s (%v), want %s %s", i+1, s.Tool, s.Outcome, s.Err, w.tool, w.outcome)
		}
	}
	del, _ := res.Step(agent.ToolDeletePost)
	if c := del.Challenge; c == nil || c.Status != 403 || c.Error != "insufficient_scope" || c.Scope != "blog:admin" {
		t.Errorf("Delete challenge %+v, want 403 insufficient_scope scope=blog:admin", c)
	}
}

func assertSpans(t *testing.T, spans []sdktrace.ReadOnlySpan, res *agent.Result, session bool) {
	t.Helper()
	roots := spansByName(spans, "invoke_agent blog-agent")
	if len(roots) != 1 {
		t.Fatalf("%d invoke_agent spans, want 1", len(roots))
	}
	root := roots[0]
	if got := root.SpanContext().TraceID().String(); got != res.TraceID {
		t.Errorf("root trace id %s, result says %s", got, res.TraceID)
	}
	for key, want := range map[string]string{
		"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "blog-agent",
		"tracegate.intent.id": res.Message.ID, "gen_ai.conversation.id": res.Message.ConversationID,
	} {
		if got, _ := attr(root, key); got != want {
			t.Errorf("root %s = %q, want %q", key, got, want)
		}
	}
	for _, s := range res.Steps {
		name := "tools/call " + s.Tool
		var client sdktrace.ReadOnlySpan
		for _, c := range spansByName(spans, name) {
			if c.SpanKind() == trace.SpanKindClient && c.Parent().SpanID() == root.SpanContext().SpanID() {
				client = c
			}
		}
		if client == nil {
			t.Errorf("no CLIENT span %q under the root", name)
			continue
		}
		for key, want := range map[string]string{
			"mcp.method.name": "tools/call", "gen_ai.tool.name": s.Tool, "gen_ai.operation.name": "execute_tool",
		} {
			if got, _ := attr(client, key); got != want {
				t.Errorf("%s: %s = %q, want %q", name, key, got, want)
			}
		}
		if _, ok := attr(client, "mcp.session.id"); ok != session {
			t.Errorf("%s: mcp.session.id present %v, want %v", name, ok, session)
		}
		// The gateway's SERVER span continues the trace from params._meta.
		var server sdktrace.ReadOnlySpan
		for _, g := range spansByName(spans, name) {
			if g.SpanKind() == trace.SpanKindServer {
				if g.Parent().SpanID() == client.SpanContext().SpanID() {
					server = g
				}
			}
		}
		if server == nil {
			t.Errorf("%s: no gateway SERVER span whose parent is the agent's CLIENT span", name)
			continue
		}
		if s.Outcome == agent.OutcomeDenied {
			if got, _ := attr(client, "error.type"); got != "-32013" {
				t.Errorf("%s: error.type %q, want -32013", name, got)
			}
			if !hasEvent(client, "tracegate.agent.challenge") {
				t.Errorf("%s: no challenge event on the agent's span", name)
			}
			if got, _ := attr(server, "tracegate.authz.decision"); got != "deny" {
				t.Errorf("%s: gateway decision %q, want deny", name, got)
			}
		} else if _, ok := attr(client, "error.type"); ok {
			t.Errorf("%s: error.type set on a successful call", name)
		}
	}
}

func TestSetupIsIdempotent(t *testing.T) {
	st := startStack(t)
	cfg := agent.DefaultConfig()
	cfg.GatewayURL, cfg.AuthURL = st.gatewayURL, st.authURL
	var out bytes.Buffer
	ag, err := agent.New(cfg, agent.WithTransport(st.transport), agent.WithOutput(&out))
	if err != nil {
		t.Fatal(err)
	}
	msg := agent.NewMessage("Publish a post titled 'Twice' as bob")
	for range 2 {
		if err := ag.Setup(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Count(out.String(), "created user bob"); got != 1 {
		t.Errorf("bob created %d times:\n%s", got, out.String())
	}
	if !strings.Contains(out.String(), "bob is user-1 already") {
		t.Errorf("second setup did not find bob:\n%s", out.String())
	}
}

func TestHandleWithoutSetupNamesTheMissingUser(t *testing.T) {
	st := startStack(t)
	cfg := agent.DefaultConfig()
	cfg.GatewayURL, cfg.AuthURL = st.gatewayURL, st.authURL
	ag, err := agent.New(cfg, agent.WithTransport(st.transport))
	if err != nil {
		t.Fatal(err)
	}
	res, err := ag.Handle(context.Background(), agent.NewMessage("Publish a post titled 'x' as nobody"))
	if err == nil || !strings.Contains(err.Error(), `"nobody"`) {
		t.Fatalf("err = %v, want no such user nobody", err)
	}
	if len(res.Steps) != 1 || res.Steps[0].Outcome != agent.OutcomeFailed {
		t.Errorf("steps %+v, want the failed user lookup only", res.Steps)
	}
}

func TestWrongSecretIsATokenError(t *testing.T) {
	st := startStack(t)
	cfg := agent.DefaultConfig()
	cfg.GatewayURL, cfg.AuthURL, cfg.ClientSecret = st.gatewayURL, st.authURL, "wrong"
	ag, err := agent.New(cfg, agent.WithTransport(st.transport))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ag.Handle(context.Background(), agent.NewMessage("hi")); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("err = %v, want invalid_client", err)
	}
}
