package guard_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go-micro.dev/v5/client"
	merrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/server"

	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
	"github.com/tracegate/tracegate/internal/gatewaytest"
	"github.com/tracegate/tracegate/internal/oauthtest"
)

// blogStack is the blog behind a gateway that authenticates with a test
// issuer; every service is guarded (forwarded hops on, scopes read from the
// registry), and the identities the services receive are recorded.
type blogStack struct {
	st  *blogtest.Stack
	iss *oauthtest.Issuer
	url string
	*hopLog
}

// hopLog records what the guarded services saw. The handler wrappers hold
// it and nothing else of the test: a wrapper that held the stack would keep
// every service's client, and so its pooled connections, alive from the
// goroutines serving those connections.
type hopLog struct {
	mu        sync.Mutex
	received  map[string][]string // "<service>.<Endpoint>" -> identities, in arrival order
	decisions []guard.Decision
}

func startBlog(t *testing.T, overrides ...policy.ScopeOverride) *blogStack {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	l := &hopLog{received: map[string][]string{}}
	b := &blogStack{iss: oauthtest.Start(t), hopLog: l}
	record := func(next server.HandlerFunc) server.HandlerFunc {
		return func(ctx context.Context, req server.Request, rsp interface{}) error {
			if tok, ok := guard.TokenFromMetadata(ctx); ok {
				l.mu.Lock()
				name := req.Service() + "." + req.Endpoint()
				l.received[name] = append(l.received[name], tok)
				l.mu.Unlock()
			}
			return next(ctx, req, rsp)
		}
	}
	// One guard per service (each knows whose it is), built once the
	// registry exists (go-micro applies handler wrappers per request).
	var guardOpts []guard.Option
	lazyFor := func(service string) []server.HandlerWrapper {
		var once sync.Once
		var g server.HandlerWrapper
		return []server.HandlerWrapper{func(next server.HandlerFunc) server.HandlerFunc {
			once.Do(func() { g = guard.NewHandlerWrapper(append(guardOpts, guard.WithAudience(service))...) })
			return g(next)
		}}
	}
	b.st = blogtest.Start(t, blogtest.Options{HandlerWrappers: []server.HandlerWrapper{record}, WrappersFor: lazyFor})
	guardOpts = []guard.Option{
		guard.WithPublicKey(pub), guard.WithForwardedIdentities(), guard.WithRegistry(b.st.Registry),
		guard.WithDecisionHook(func(_ context.Context, d guard.Decision) {
			l.mu.Lock()
			l.decisions = append(l.decisions, d)
			l.mu.Unlock()
		}),
	}
	cfg := gateway.Config{Auth: gateway.AuthConfig{Resource: oauthtest.Audience, Issuer: b.iss.URL()}}
	cfg.Policy.Scopes.Overrides = overrides
	srv := httptest.NewUnstartedServer(nil)
	gatewaytest.Serve(t, srv, gateway.Options{
		Registry: b.st.Registry, IdentityKey: key, Logger: log.New(io.Discard, "", 0), Config: cfg,
	})
	b.url = srv.URL + gateway.MCPPath
	return b
}

// bearer adds a token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// agent opens an MCP session as a caller holding scope.
func (b *blogStack) agent(t *testing.T, scope string) *mcp.ClientSession {
	t.Helper()
	c := b.iss.Claims()
	c["scope"] = scope
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil).Connect(t.Context(),
		&mcp.StreamableClientTransport{Endpoint: b.url, HTTPClient: &http.Client{Transport: bearer{b.iss.Sign(t, "rsa-1", jwa.RS256(), c), tr}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// call calls a tool and returns its structured result, or the tool error
// text (isError).
func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) (map[string]any, string) {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	if res.IsError {
		var text []string
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				text = append(text, tc.Text)
			}
		}
		return nil, strings.Join(text, " ")
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out, ""
}

func (b *blogStack) identity(t *testing.T, endpoint string) string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := b.received[endpoint]
	if len(ids) == 0 {
		t.Fatalf("%s received no identity", endpoint)
	}
	return ids[len(ids)-1]
}

func (b *blogStack) lastDecision() guard.Decision {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.decisions[len(b.decisions)-1]
}

// lastDecisions formats the last n guard decisions as endpoint=reason.
func (b *blogStack) lastDecisions(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, d := range b.decisions[max(0, len(b.decisions)-n):] {
		out = append(out, d.Service+"."+d.Endpoint+"="+string(d.Reason))
	}
	return strings.Join(out, " ")
}

// replay acts as a compromised service: it calls service's endpoint
// directly, on the services' registry, with a captured identity.
func (b *blogStack) replay(t *testing.T, service, endpoint, identity string) *merrors.Error {
	t.Helper()
	ctx := metadata.NewContext(t.Context(), metadata.Metadata{guard.MetadataKey: identity})
	var rsp json.RawMessage
	err := b.st.Client.Call(ctx, b.st.Client.NewRequest(service, endpoint, map[string]any{"id": "post-1", "name": "mallory", "email": "m@example.com"}), &rsp,
		client.WithRetries(0))
	if err == nil {
		return nil
	}
	return merrors.FromError(err)
}

// TestCompromisedHop is the attack of issue 11 on the real blog: a service
// that received an identity (or anyone who captured one in transit) tries
// it on another service's admin endpoint and again on its own endpoint. Both
// are refused with a named reason, while the blog's real chains (comments
// -> posts -> users) keep working through the gateway.
func TestCompromisedHop(t *testing.T) {
	b := startBlog(t)
	admin := b.agent(t, "blog:admin")
	if _, errText := call(t, admin, "users.Users.Create", map[string]any{"name": "Ada", "email": "ada@example.com"}); errText != "" {
		t.Fatalf("seed user: %s", errText)
	}
	writer := b.agent(t, "blog:read blog:write")

	// The real chains work: posts -> users, comments -> posts -> users.
	if _, errText := call(t, writer, "posts.Posts.Create", map[string]any{"title": "T", "body": "B", "author_id": "user-1"}); errText != "" {
		t.Fatalf("posts.Posts.Create: %s", errText)
	}
	if got := b.lastDecisions(2); got != "posts.Posts.Create=granted users.Users.Read=forwarded" {
		t.Fatalf("guard decisions: %s", got)
	}
	if _, errText := call(t, writer, "comments.Comments.Create", map[string]any{"post_id": "post-1", "author_id": "user-1", "body": "Nice."}); errText != "" {
		t.Fatalf("comments.Comments.Create: %s", errText)
	}
	if _, errText := call(t, writer, "comments.Comments.List", map[string]any{"post_id": "post-1"}); errText != "" {
		t.Fatalf("comments.Comments.List: %s", errText)
	}
	if got := b.lastDecisions(4); got != "comments.Comments.Create=granted posts.Posts.Read=forwarded users.Users.Read=forwarded comments.Comments.List=granted" {
		t.Fatalf("guard decisions along the chains: %s", got)
	}

	postsGot := b.identity(t, "posts.Posts.Create")    // what posts received from the gateway
	usersGot := b.identity(t, "users.Users.Read")      // forwarded through posts to users
	listGot := b.identity(t, "comments.Comments.List") // blog:read, as in the issue
	for _, tc := range []struct {
		name              string
		identity          string
		service, endpoint string
		code              int32
		reason            reason.Reason
	}{
		{"posts reuses its identity at users' admin endpoint", postsGot, "users", "Users.Create", 403, reason.DownstreamNotAllowed},
		{"posts reuses its identity at its own endpoint again", postsGot, "posts", "Posts.Create", 401, reason.IdentityReplayed},
		{"posts reuses its identity at its own admin endpoint", postsGot, "posts", "Posts.Delete", 403, reason.DownstreamNotAllowed},
		{"users reuses a forwarded identity at its admin endpoint", usersGot, "users", "Users.Create", 403, reason.DownstreamNotAllowed},
		{"a blog:read identity at users' admin endpoint", listGot, "users", "Users.Create", 403, reason.DownstreamNotAllowed},
		{"a blog:read identity at posts' admin endpoint", listGot, "posts", "Posts.Delete", 403, reason.DownstreamNotAllowed},
		{"a blog:read identity at its own endpoint again", listGot, "comments", "Comments.List", 401, reason.IdentityReplayed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := b.replay(t, tc.service, tc.endpoint, tc.identity)
			if err == nil || err.Code != tc.code || err.Detail != string(tc.reason) {
				t.Fatalf("replay = %v, want %d %s", err, tc.code, tc.reason)
			}
			if d := b.lastDecision(); d.Allowed || d.Reason != tc.reason || d.Service != tc.service {
				t.Fatalf("guard decision = %+v", d)
			}
		})
	}
	// Nothing was created or deleted by the replays.
	if _, errText := call(t, writer, "posts.Posts.Read", map[string]any{"id": "post-1"}); errText != "" {
		t.Fatalf("post-1 gone: %s", errText)
	}
	if out, _ := call(t, writer, "users.Users.List", map[string]any{}); len(out["users"].([]any)) != 1 {
		t.Fatalf("users after the replays: %v", out)
	}
}

// TestIdentityFollowsTheGatewaysDecision: an override that loosens a tool
// works end to end (the entry hop does not re-check the service's declared
// scope), while forwarded hops still need the downstream endpoint's own
// declared scope.
func TestIdentityFollowsTheGatewaysDecision(t *testing.T) {
	b := startBlog(t, policy.ScopeOverride{Tool: "comments.Comments.List", Scopes: []string{"blog:moderate"}},
		policy.ScopeOverride{Tool: "posts.Posts.Create", Scopes: []string{"blog:author"}})
	admin := b.agent(t, "blog:admin")
	if _, errText := call(t, admin, "users.Users.Create", map[string]any{"name": "Ada", "email": "ada@example.com"}); errText != "" {
		t.Fatalf("seed user: %s", errText)
	}
	moderator := b.agent(t, "blog:moderate")
	if _, errText := call(t, moderator, "comments.Comments.List", map[string]any{"post_id": "post-1"}); errText != "" {
		t.Fatalf("override-loosened tool refused downstream: %s", errText)
	}
	// blog:author may call posts.Posts.Create, but posts then reads the
	// author from users, whose Users.Read declares blog:read.
	author := b.agent(t, "blog:author")
	if _, errText := call(t, author, "posts.Posts.Create", map[string]any{"title": "T", "body": "B", "author_id": "user-1"}); !strings.Contains(errText, "insufficient_scope") {
		t.Fatalf("forwarded hop without the downstream scope: %q", errText)
	}
	if d := b.lastDecision(); d.Service != "users" || d.Reason != reason.InsufficientScope {
		t.Fatalf("guard decision = %+v", d)
	}
	both := b.agent(t, "blog:author blog:read")
	if _, errText := call(t, both, "posts.Posts.Create", map[string]any{"title": "T", "body": "B", "author_id": "user-1"}); errText != "" {
		t.Fatalf("with the downstream scope: %s", errText)
	}
}
