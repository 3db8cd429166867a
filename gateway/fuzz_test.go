package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequestPath throws arbitrary bodies and headers at the HTTP front and
// the pipeline behind it: the gateway must answer every request with a
// client-error or success status (never 5xx, never a panic) and keep serving.
func FuzzRequestPath(f *testing.F) {
	for _, seed := range []string{
		call2026("users.Users.List", "{}"),
		call2026("posts.Posts.Create", `{"title":1}`),
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}`,
		`{"jsonrpc":"2.0","id":null,"method":"tools/call","params":null}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`,
		`{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list","params":{"_meta":{"traceparent":"00-zz"}}}`,
		"\x00\xff{",
	} {
		f.Add(seed, "2026-07-28", "tools/call")
		f.Add(seed, "", "")
	}
	e := newEnv(f)
	h := e.gw.Handler()
	f.Fuzz(func(t *testing.T, body, version, method string) {
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if version != "" {
			req.Header.Set("Mcp-Protocol-Version", version)
		}
		if method != "" {
			req.Header.Set("Mcp-Method", method)
		}
		rec := serveWithin(t, h, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q (version %q, method %q): %s", rec.Code, body, version, method, rec.Body.String())
		}
	})
}
