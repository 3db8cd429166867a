package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway"
)

var blogTools = []string{
	"comments.Comments.Create", "comments.Comments.List",
	"posts.Posts.Create", "posts.Posts.Delete", "posts.Posts.List", "posts.Posts.Read",
	"users.Users.Create", "users.Users.List", "users.Users.Read",
}

func TestToolsListFromRegistry(t *testing.T) {
	e := newEnv(t)
	cs := e.connect(t, nil)
	names := toolNames(t, cs)
	if !slices.Equal(names, blogTools) {
		t.Fatalf("tools = %v, want %v", names, blogTools)
	}
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		if tool.Description == "" {
			t.Errorf("%s has no description", tool.Name)
		}
		if tool.Name == "posts.Posts.Create" {
			schema, _ := json.Marshal(tool.InputSchema)
			for _, want := range []string{`"attachments"`, `"publish_at"`, `"size"`, `"metadata"`} {
				if !strings.Contains(string(schema), want) {
					t.Errorf("posts.Posts.Create schema lacks %s: %s", want, schema)
				}
			}
		}
	}
}

type user struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type post struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	AuthorID    string            `json:"author_id"`
	Tags        []string          `json:"tags"`
	Metadata    map[string]string `json:"metadata"`
	Attachments []struct {
		Name string `json:"name"`
		URL  string `json:"url"`
		Size int64  `json:"size"`
	} `json:"attachments"`
	PublishAt *time.Time `json:"publish_at"`
}

func TestNestedArgumentsArriveIntact(t *testing.T) {
	e := newEnv(t)
	cs := e.connect(t, nil)
	var u struct{ User user }
	call(t, cs, "users.Users.Create", map[string]any{"name": "alice", "email": "alice@example.com"}, &u)
	if u.User.ID == "" {
		t.Fatalf("no user id")
	}
	publish := "2026-11-25T10:00:00.123456789Z"
	args := map[string]any{
		"title": "Hello MCP", "body": "nested", "author_id": u.User.ID,
		"tags":     []string{"go", "mcp"},
		"metadata": map[string]string{"lang": "en", "draft": "no"},
		"attachments": []map[string]any{
			{"name": "a.png", "url": "https://example.com/a.png", "size": int64(9007199254740993)},
		},
		"publish_at": publish,
	}
	var p struct{ Post post }
	res := call(t, cs, "posts.Posts.Create", args, &p)
	if res.IsError {
		t.Fatalf("isError: %v", res.Content)
	}
	got := p.Post
	if got.Title != "Hello MCP" || got.AuthorID != u.User.ID || !slices.Equal(got.Tags, []string{"go", "mcp"}) ||
		got.Metadata["lang"] != "en" || got.Metadata["draft"] != "no" || len(got.Attachments) != 1 ||
		got.Attachments[0].Size != 9007199254740993 || got.PublishAt == nil || got.PublishAt.Format(time.RFC3339Nano) != publish {
		t.Fatalf("post = %+v", got)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	if !strings.Contains(text, "9007199254740993") {
		t.Fatalf("text content lost the big integer: %s", text)
	}
}

func TestServiceErrorIsToolError(t *testing.T) {
	e := newEnv(t)
	cs := e.connect(t, nil)
	res := call(t, cs, "posts.Posts.Read", map[string]any{"id": "post-404"}, nil)
	if !res.IsError {
		t.Fatalf("want isError, got %+v", res)
	}
	var body struct {
		Error struct {
			ID     string `json:"id"`
			Code   int    `json:"code"`
			Detail string `json:"detail"`
		} `json:"error"`
	}
	raw, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(raw, &body); err != nil || body.Error.Code != 404 || body.Error.Detail == "" {
		t.Fatalf("structured error = %s (%v)", raw, err)
	}
}

func TestProtocolErrorsDispatchNothing(t *testing.T) {
	e := newEnv(t)
	cs := e.connect(t, nil)
	for _, tc := range []struct {
		name    string
		tool    string
		args    any
		isError bool // invalid arguments of a known tool: an isError result (SEP-1303)
	}{
		{"unknown tool", "posts.Posts.Nope", map[string]any{}, false},
		{"wrong type", "posts.Posts.Create", map[string]any{"title": 42, "body": "b", "author_id": "user-1"}, true},
		{"missing required", "posts.Posts.Read", map[string]any{}, true},
		{"extra property on strict schema", "users.Users.Read", map[string]any{"id": "user-1", "evil": true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.capture.Reset()
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tc.tool, Arguments: tc.args})
			if tc.isError {
				if err != nil || res == nil || !res.IsError || res.Meta["io.tracegate/reason"] != "invalid_arguments" {
					t.Fatalf("res = %+v, err = %v, want an isError result with reason invalid_arguments", res, err)
				}
			} else {
				var werr *jsonrpc.Error
				if !errors.As(err, &werr) || werr.Code != jsonrpc.CodeInvalidParams {
					t.Fatalf("err = %v, want JSON-RPC invalid params", err)
				}
			}
			for _, s := range e.capture.Spans() {
				if strings.HasPrefix(s.Name, "posts/") || strings.HasPrefix(s.Name, "users/") {
					t.Fatalf("dispatched despite the error: span %s", s.Name)
				}
			}
		})
	}
}

func TestDeregisteredServiceDisappears(t *testing.T) {
	e := newEnv(t)
	var changed atomic.Int32
	cs := e.connect(t, &changed)
	if n := len(toolNames(t, cs)); n != len(blogTools) {
		t.Fatalf("tools = %d", n)
	}
	comments := e.stack.Services[2]
	if err := comments.Stop(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		names := toolNames(t, cs)
		if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "comments.") }) && changed.Load() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("comments tools still listed (%v) or no list_changed (%d)", names, changed.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestGoMicroGatewayMetadata: services written for go-micro's gateway/mcp
// read Mcp-Tool-Name, Mcp-Account-Id and Mcp-Trace-Id; the trace id is the
// W3C one of the call, not a UUID beside it.
func TestGoMicroGatewayMetadata(t *testing.T) {
	e := newEnv(t)
	cs := e.connect(t, nil)
	call(t, cs, "users.Users.List", map[string]any{}, nil)
	span, ok := e.capture.SpanNamed("tools/call users.Users.List")
	if !ok {
		t.Fatal("no gateway span")
	}
	mds := e.seen.all()
	if len(mds) != 1 {
		t.Fatalf("service requests = %d", len(mds))
	}
	get := func(key string) string {
		for k, v := range mds[0] {
			if strings.EqualFold(k, key) {
				return v
			}
		}
		return ""
	}
	if get(gateway.ToolNameKey) != "users.Users.List" || get(gateway.AccountIDKey) != "anonymous" ||
		get(gateway.TraceIDKey) != span.SpanContext.TraceID().String() {
		t.Fatalf("metadata = %v, want tool, account and trace id %s", mds[0], span.SpanContext.TraceID())
	}
}

// TestTraceIDWithoutTracing: used as a library the go-micro way (no
// TraceProvider), every audit record still has a W3C trace and span id, the
// same trace id reaches the service as Mcp-Trace-Id, and a caller's trace id
// is continued.
func TestTraceIDWithoutTracing(t *testing.T) {
	var mu sync.Mutex
	var recs []gateway.AuditRecord
	e := newEnv(t, func(o *gateway.Options) {
		o.TraceProvider, o.LoggerProvider = nil, nil
		o.AuditFunc = func(r gateway.AuditRecord) { mu.Lock(); recs = append(recs, r); mu.Unlock() }
	})
	cs := e.connect(t, nil)
	before := len(e.seen.all())
	call(t, cs, "users.Users.List", map[string]any{}, nil)
	const caller = "4bf92f3577b34da6a3ce929d0e0e4736"
	_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "users.Users.List", Arguments: map[string]any{},
		Meta: mcp.Meta{"traceparent": "00-" + caller + "-00f067aa0ba902b7-01"}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var calls []gateway.AuditRecord
	for _, r := range recs {
		if r.Tool == "users.Users.List" {
			calls = append(calls, r)
		}
	}
	if len(calls) != 2 {
		t.Fatalf("call records %+v", calls)
	}
	zero := strings.Repeat("0", 32)
	for _, r := range calls {
		if len(r.TraceID) != 32 || r.TraceID == zero || len(r.SpanID) != 16 || r.SpanID == zero[:16] {
			t.Fatalf("record without a trace context: %+v", r)
		}
	}
	if calls[1].TraceID != caller {
		t.Fatalf("caller's trace not continued: %s", calls[1].TraceID)
	}
	var sent []string
	for _, md := range e.seen.all()[before:] {
		for k, v := range md {
			if strings.EqualFold(k, gateway.TraceIDKey) {
				sent = append(sent, v)
			}
		}
	}
	if len(sent) < 2 || sent[0] != calls[0].TraceID || sent[len(sent)-1] != caller {
		t.Fatalf("Mcp-Trace-Id sent %v, records %s %s", sent, calls[0].TraceID, calls[1].TraceID)
	}
}
