package gateway_test

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
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/server"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/internal/gatewaytest"
	"github.com/tracegate/tracegate/internal/oteltest"
)

// env is a blog stack on a memory registry, guarded by the gateway's
// downstream identity, a gateway in front of it and one capture recording
// both. seen records the metadata of every request the services handled.
type env struct {
	capture *oteltest.Capture
	stack   *blogtest.Stack
	gw      *gateway.Gateway
	seen    *metadataLog
	key     ed25519.PrivateKey
}

// metadataLog records incoming go-micro metadata.
type metadataLog struct {
	mu  sync.Mutex
	mds []map[string]string
}

func (l *metadataLog) wrapper(next server.HandlerFunc) server.HandlerFunc {
	return func(ctx context.Context, req server.Request, rsp interface{}) error {
		md, _ := metadata.FromContext(ctx)
		l.mu.Lock()
		l.mds = append(l.mds, md)
		l.mu.Unlock()
		return next(ctx, req, rsp)
	}
}

func (l *metadataLog) all() []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]map[string]string(nil), l.mds...)
}

func newEnv(t testing.TB, mutate ...func(*gateway.Options)) *env {
	t.Helper()
	capture := oteltest.New(t)
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	seen := &metadataLog{}
	stack := blogtest.Start(t, blogtest.Options{
		TracerProvider:  capture.TracerProvider,
		LoggerProvider:  capture.LoggerProvider,
		HandlerWrappers: []server.HandlerWrapper{seen.wrapper},
		WrappersFor: func(service string) []server.HandlerWrapper {
			return []server.HandlerWrapper{guard.NewHandlerWrapper(guard.WithPublicKey(pub), guard.WithForwardedIdentities(), guard.WithAudience(service))}
		},
	})
	e := &env{capture: capture, stack: stack, seen: seen, key: key}
	e.gw = e.newGateway(t, mutate...)
	return e
}

// newGateway starts a gateway (one more replica) in front of e's services,
// with e's identity key; it closes at cleanup.
func (e *env) newGateway(t testing.TB, mutate ...func(*gateway.Options)) *gateway.Gateway {
	t.Helper()
	opts := gateway.Options{
		IdentityKey:    e.key,
		Registry:       e.stack.Registry,
		TraceProvider:  e.capture.TracerProvider,
		MeterProvider:  e.capture.MeterProvider,
		LoggerProvider: e.capture.LoggerProvider,
		Logger:         log.New(io.Discard, "", 0),
		Config:         gateway.Config{Auth: gateway.AuthConfig{Anonymous: true}},
	}
	for _, m := range mutate {
		m(&opts)
	}
	return gatewaytest.Start(t, opts)
}

// connect opens an MCP client session on the gateway (over the stdio
// transport, in process); changed counts tools/list_changed notifications.
func (e *env) connect(t *testing.T, changed *atomic.Int32) *mcp.ClientSession {
	t.Helper()
	opts := &mcp.ClientOptions{}
	if changed != nil {
		opts.ToolListChangedHandler = func(context.Context, *mcp.ToolListChangedRequest) { changed.Add(1) }
	}
	return gatewaytest.Connect(t, e.gw, opts)
}

// call calls a tool and decodes its structured content into out.
func call(t *testing.T, cs *mcp.ClientSession, name string, args any, out any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("CallTool %s: %v", name, err)
	}
	if out != nil {
		// Decode the text block: the SDK client decodes structuredContent
		// into any, which turns integers into float64.
		raw := []byte(res.Content[0].(*mcp.TextContent).Text)
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("decode %s result %s: %v", name, raw, err)
		}
	}
	return res
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	var names []string
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatalf("tools/list: %v", err)
		}
		names = append(names, tool.Name)
	}
	return names
}

// oteltestAttrs renders a log record's attributes as strings.
func oteltestAttrs(r sdklog.Record) map[string]string {
	m := map[string]string{}
	for k, v := range oteltest.Attrs(r) {
		m[string(k)] = v.String()
	}
	return m
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// serveWithin serves req on h and fails t when no answer comes within 10 s:
// a fuzzed input that hangs the front is a finding, not a slow test.
func serveWithin(t *testing.T, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(rec, req)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("no answer within 10s for %s %s", req.Method, req.URL)
	}
	return rec
}
