package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/telemetry"
)

// ScopeName is the instrumentation scope of the agent's spans.
const ScopeName = "github.com/tracegate/tracegate/examples/agent"

// httpTimeout bounds each OAuth request.
const httpTimeout = 10 * time.Second

// Agent handles user messages against a tracegate gateway.
type Agent struct {
	cfg    Config
	o      options
	tracer trace.Tracer
	mcp    *mcpTracing
	// oauth is the traced HTTP client for discovery and token requests:
	// a traced authorization server shows them in the message's trace.
	oauth *http.Client
}

// New checks cfg and returns an agent.
func New(cfg Config, opts ...Option) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	tracer := o.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(telemetry.Version))
	return &Agent{
		cfg:    cfg,
		o:      o,
		tracer: tracer,
		mcp:    newMCPTracing(tracer, o.prop, cfg.GatewayURL),
		oauth: &http.Client{Timeout: httpTimeout, Transport: otelhttp.NewTransport(o.base,
			otelhttp.WithTracerProvider(o.tp),
			otelhttp.WithPropagators(o.prop),
			otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }),
		)},
	}, nil
}

// Message is one user message. Its ID is the intent id: it goes into the
// token, every span attribute tracegate.intent.id and every audit record.
type Message struct {
	ID             string
	ConversationID string
	Text           string
}

// NewMessage gives text fresh message and conversation ids.
func NewMessage(text string) Message {
	return Message{ID: "msg-" + randomHex(8), ConversationID: "conv-" + randomHex(8), Text: text}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// Handle runs the plan for msg in one trace, rooted at invoke_agent
// <agent name>. The result lists every step; the error is the first step
// that failed (a refused overreach is not a failure).
func (a *Agent) Handle(ctx context.Context, msg Message) (res *Result, err error) {
	in := parseMessage(msg.Text)
	plan := newPlan(in)
	attrs := []attribute.KeyValue{
		semconv.GenAIOperationNameKey.String("invoke_agent"),
		semconv.GenAIAgentNameKey.String(a.cfg.AgentName),
		semconv.GenAIConversationIDKey.String(msg.ConversationID),
		keyIntentID.String(msg.ID),
	}
	if a.cfg.RecordMessage {
		attrs = append(attrs, semconv.GenAIInputMessagesKey.String(inputMessages(msg.Text)))
	}
	ctx, span := a.tracer.Start(ctx, "invoke_agent "+a.cfg.AgentName,
		trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	defer func() {
		if err != nil {
			span.SetAttributes(semconv.ErrorTypeKey.String(errorTypeOther))
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	res = &Result{Message: msg, TraceID: span.SpanContext().TraceID().String(), Intent: in}
	a.printf("message %q (id %s)", msg.Text, msg.ID)

	tok, err := a.token(ctx, a.cfg.ClientID, a.cfg.ClientSecret, planScopes(plan), msg.ID)
	if err != nil {
		return res, err
	}
	res.Scope = tok.scope
	a.printf("token for %s: scope %q, intent %s, resource %s", a.cfg.ClientID, tok.scope, msg.ID, a.cfg.resource())

	cs, err := a.connect(ctx, tok)
	if err != nil {
		return res, err
	}
	defer cs.Close()
	offered, err := listTools(ctx, cs)
	if err != nil {
		return res, err
	}
	res.ToolsOffered = len(offered)
	a.printf("tools/list: %d tools offered to this token", len(offered))
	if missing := missingTools(plan, offered, false); len(missing) > 0 {
		return res, fmt.Errorf("%w: %s", ErrToolsMissing, strings.Join(missing, ", "))
	}
	for _, s := range plan {
		if _, ok := offered[s.tool]; s.overreach && !ok {
			a.printf("tools/list: %s is not offered to this token (it needs a scope the token lacks)", s.tool)
		}
	}

	st := &state{Intent: in}
	for i, s := range plan {
		r := a.runStep(ctx, cs, s, st)
		res.Steps = append(res.Steps, r)
		a.printf("%d. %-25s %-7s %s", i+1, s.tool, r.Outcome, r.Detail)
		if r.Err != nil {
			return res, r.Err
		}
	}
	return res, nil
}

// Setup prepares the plan's preconditions as an operator would, in a trace
// of its own (root span "setup") with the admin client: it waits until the
// gateway offers every tool of the plan, then creates the message's author
// unless the user exists.
func (a *Agent) Setup(ctx context.Context, msg Message) (err error) {
	if a.cfg.AdminClientID == "" || a.cfg.AdminClientSecret == "" {
		return ErrNoAdminForSeed
	}
	in := parseMessage(msg.Text)
	intentID := "setup-" + msg.ID
	ctx, span := a.tracer.Start(ctx, "setup", trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(semconv.GenAIAgentNameKey.String(a.cfg.AgentName), keyIntentID.String(intentID)))
	defer func() {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	tok, err := a.token(ctx, a.cfg.AdminClientID, a.cfg.AdminClientSecret, []string{ScopeAdmin, ScopeRead, ScopeWrite}, intentID)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	cs, err := a.connect(ctx, tok)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	defer cs.Close()
	if err := a.waitTools(ctx, cs, newPlan(in)); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	st := &state{Intent: in}
	raw, err := callTool(ctx, cs, ToolListUsers, map[string]any{})
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if detail, err := readUser(st, raw); err == nil {
		a.printf("setup: %s already; nothing to create", detail)
		return nil
	}
	raw, err = callTool(ctx, cs, ToolCreateUser, map[string]any{
		"name": in.Author, "email": in.Author + "@example.com", "roles": []string{"author"},
	})
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	var created struct {
		User struct{ ID string } `json:"user"`
	}
	_ = json.Unmarshal(raw, &created)
	a.printf("setup: created user %s (%s) with the admin client %s", in.Author, created.User.ID, a.cfg.AdminClientID)
	return nil
}

// waitTools lists tools until every tool of the plan (the overreach
// included: the admin sees it) is offered, or ToolWait passes.
func (a *Agent) waitTools(ctx context.Context, cs *mcp.ClientSession, plan []step) error {
	deadline := time.Now().Add(a.cfg.ToolWait)
	for {
		offered, err := listTools(ctx, cs)
		if err != nil {
			return err
		}
		missing := missingTools(plan, offered, true)
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w after %s: %s", ErrToolsMissing, a.cfg.ToolWait, strings.Join(missing, ", "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// token runs the client-credentials grant at the configured token endpoint,
// or at the one the issuer's metadata names.
func (a *Agent) token(ctx context.Context, id, secret string, scopes []string, intentID string) (token, error) {
	tokenURL := a.cfg.TokenURL
	if tokenURL == "" {
		var err error
		if tokenURL, err = discoverTokenEndpoint(ctx, a.oauth, a.cfg.AuthURL); err != nil {
			return token{}, err
		}
	}
	return fetchToken(ctx, a.oauth, tokenURL, tokenRequest{
		clientID: id, clientSecret: secret, scopes: scopes, intent: intentID, resource: a.cfg.resource(),
	})
}

// connect opens an MCP session with tok as the bearer token.
func (a *Agent) connect(ctx context.Context, tok token) (*mcp.ClientSession, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: a.cfg.AgentName, Version: telemetry.Version}, nil)
	client.AddSendingMiddleware(a.mcp.middleware)
	transport := &mcp.StreamableClientTransport{
		Endpoint:   a.cfg.GatewayURL,
		HTTPClient: mcpHTTPClient(a.o.base, tok),
		// One message, no server-initiated notifications needed.
		DisableStandaloneSSE: true,
	}
	var so *mcp.ClientSessionOptions
	if a.cfg.ProtocolVersion != "" {
		so = &mcp.ClientSessionOptions{ProtocolVersion: a.cfg.ProtocolVersion}
	}
	cs, err := client.Connect(ctx, transport, so)
	if err != nil {
		return nil, fmt.Errorf("agent: connect to %s: %w", a.cfg.GatewayURL, err)
	}
	return cs, nil
}

func (a *Agent) printf(format string, args ...any) {
	fmt.Fprintf(a.o.out, "agent: "+format+"\n", args...)
}

// inputMessages renders the user message as gen_ai.input.messages.
func inputMessages(text string) string {
	b, _ := json.Marshal([]map[string]any{{
		"role": "user", "parts": []map[string]string{{"type": "text", "content": text}},
	}})
	return string(b)
}
