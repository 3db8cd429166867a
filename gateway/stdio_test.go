package gateway_test

import (
	"context"
	"io"
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/policy"
)

// connectStdio runs the gateway's stdio transport on pipes and connects a
// go-sdk client over the same newline-delimited JSON-RPC.
func connectStdio(t *testing.T, gw *gateway.Gateway) *mcp.ClientSession {
	t.Helper()
	cr, sw := io.Pipe() // server -> client
	sr, cw := io.Pipe() // client -> server
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.ServeStdio(ctx, sr, sw) }()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "stdio-agent", Version: "1"}, nil).
		Connect(ctx, &mcp.IOTransport{Reader: cr, Writer: cw}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() {
		_ = cs.Close()
		cancel()
		<-done
	})
	return cs
}

func TestStdio(t *testing.T) {
	e := newEnv(t)
	cs := connectStdio(t, e.gw)
	if names := toolNames(t, cs); !slices.Equal(names, blogTools) {
		t.Fatalf("tools = %v", names)
	}
	var u struct{ User user }
	call(t, cs, "users.Users.Create", map[string]any{"name": "sam", "email": "sam@example.com"}, &u)
	var p struct{ Post post }
	call(t, cs, "posts.Posts.Create", map[string]any{
		"title": "stdio", "body": "b", "author_id": u.User.ID,
		"tags": []string{"x"}, "attachments": []map[string]any{{"name": "n", "url": "u", "size": 7}},
	}, &p)
	if p.Post.AuthorID != u.User.ID || len(p.Post.Attachments) != 1 || p.Post.Attachments[0].Size != 7 {
		t.Fatalf("post = %+v", p.Post)
	}
	s, ok := e.capture.SpanNamed("tools/call posts.Posts.Create")
	if !ok || attrs(s.Attributes)["network.transport"] != "pipe" {
		t.Fatalf("stdio span: %v %v", ok, attrs(s.Attributes))
	}
}

// TestStdioPolicy: on stdio the same decision functions run in middleware; a
// denial is a JSON-RPC error naming the missing scopes.
func TestStdioPolicy(t *testing.T) {
	e := newEnv(t, func(o *gateway.Options) {
		o.Config.Auth = gateway.AuthConfig{}
		o.Verifier = policy.NewStaticVerifier("s3cret", policy.Principal{Subject: "cli", Scopes: []string{"blog:read"}})
		o.StdioToken = "s3cret"
	})
	cs := connectStdio(t, e.gw)
	if names := toolNames(t, cs); len(names) != 5 {
		t.Fatalf("blog:read caller sees %v", names)
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "users.Users.List", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("allowed call: %v %+v", err, res)
	}
	_, err = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "users.Users.Create",
		Arguments: map[string]any{"name": "x", "email": "x@example.com"}})
	if err == nil || !containsAll(err.Error(), "insufficient scope", "blog:admin") {
		t.Fatalf("denied call: %v", err)
	}
	if n := len(e.capture.LogsNamed(gateway.EventAuthzDecision)); n != 2 {
		t.Fatalf("authz events = %d, want 2", n)
	}
}
