package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// headerTransport adds fixed headers to every request.
type headerTransport struct {
	base   http.RoundTripper
	header http.Header
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.header {
		r.Header[k] = v
	}
	return h.base.RoundTrip(r)
}

// serveHTTP serves the gateway on an httptest server bound to 127.0.0.1.
func (e *env) serveHTTP(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(e.gw.Handler())
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		http.DefaultClient.CloseIdleConnections()
	})
	return srv
}

// connectHTTP opens a go-sdk client session over streamable HTTP; era
// "2025-11-25" forces the initialize handshake, "" lets the client negotiate
// (it tries 2026-07-28 first).
func connectHTTP(t *testing.T, url, era string, header http.Header) *mcp.ClientSession {
	t.Helper()
	hc := &http.Client{Transport: headerTransport{base: http.DefaultTransport, header: header}}
	tr := &mcp.StreamableClientTransport{Endpoint: url + "/mcp", HTTPClient: hc, MaxRetries: -1}
	var opts *mcp.ClientSessionOptions
	if era != "" {
		opts = &mcp.ClientSessionOptions{ProtocolVersion: era}
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "http-agent", Version: "1"}, nil).Connect(context.Background(), tr, opts)
	if err != nil {
		t.Fatalf("connect %s: %v", era, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func TestHTTPBothEras(t *testing.T) {
	e := newEnv(t)
	srv := e.serveHTTP(t)
	for _, tc := range []struct{ era, want string }{
		{"2025-11-25", "2025-11-25"},
		{"", "2026-07-28"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			e.capture.Reset()
			cs := connectHTTP(t, srv.URL, tc.era, nil)
			if got := cs.InitializeResult().ProtocolVersion; got != tc.want {
				t.Fatalf("negotiated %q, want %q", got, tc.want)
			}
			if n := len(toolNames(t, cs)); n != len(blogTools) {
				t.Fatalf("tools = %d", n)
			}
			var u struct{ User user }
			call(t, cs, "users.Users.Create", map[string]any{"name": "bob", "email": "bob-" + tc.want + "@example.com"}, &u)
			if u.User.Name != "bob" {
				t.Fatalf("user = %+v", u)
			}
			span, ok := e.capture.SpanNamed("tools/call users.Users.Create")
			if !ok {
				t.Fatal("no tools/call span")
			}
			a := attrs(span.Attributes)
			if a["mcp.protocol.version"] != tc.want || a["jsonrpc.request.id"] == "" || a["network.transport"] != "tcp" {
				t.Fatalf("span attributes = %v", a)
			}
			if tc.want == "2025-11-25" && a["mcp.session.id"] == "" {
				t.Fatalf("no mcp.session.id on a session: %v", a)
			}
			if tc.want == "2026-07-28" && a["mcp.session.id"] != "" {
				t.Fatalf("mcp.session.id on stateless request: %v", a)
			}
		})
	}
}
