package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// post2026 sends one stateless (2026-07-28) request with the standard
// headers; mutate may change the request.
func post2026(t *testing.T, url, body string, mutate func(*http.Request)) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
	var peek struct {
		Method string `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	if json.Unmarshal([]byte(body), &peek) == nil {
		req.Header.Set("Mcp-Method", peek.Method)
		if peek.Params.Name != "" {
			req.Header.Set("Mcp-Name", peek.Params.Name)
		}
	}
	if mutate != nil {
		mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b = sseData(b)
	}
	return resp.StatusCode, string(bytes.TrimSpace(b))
}

// call2026 is a tools/call body with the per-request _meta of 2026-07-28.
func call2026(tool string, args string) string {
	return `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"_meta":{` +
		`"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"},` +
		`"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"name":"` + tool + `","arguments":` + args + `}}`
}

func TestBadInputHTTP(t *testing.T) {
	e := newEnv(t)
	srv := e.serveHTTP(t)
	for _, tc := range []struct {
		name       string
		body       string
		mutate     func(*http.Request)
		wantStatus int
		wantInBody string
	}{
		{"malformed JSON", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{`, nil, 400, ""},
		{"wrong JSON-RPC version", strings.Replace(call2026("users.Users.List", "{}"), `"2.0"`, `"1.0"`, 1), nil, 400, ""},
		{"unknown method", `{"jsonrpc":"2.0","id":2,"method":"tools/explode","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`, nil, 404, "-32601"},
		{"unknown tool", call2026("nope.Nope.Nope", "{}"), nil, 400, "-32602"},
		{"schema violation", call2026("posts.Posts.Read", `{"id":42}`), nil, 200, `"isError":true`},
		{"oversized body", call2026("posts.Posts.Read", `{"id":"`+strings.Repeat("x", 2<<20)+`"}`), nil, 413, ""},
		{"header/body mismatch", call2026("users.Users.List", "{}"), func(r *http.Request) { r.Header.Set("Mcp-Name", "users.Users.Create") }, 400, "-32020"},
		{"bad Origin", call2026("users.Users.List", "{}"), func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") }, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.capture.Reset()
			before := len(e.seen.all())
			status, body := post2026(t, srv.URL, tc.body, tc.mutate)
			if status != tc.wantStatus || !strings.Contains(body, tc.wantInBody) {
				t.Fatalf("status %d body %.300s, want %d with %q", status, body, tc.wantStatus, tc.wantInBody)
			}
			if n := len(e.seen.all()); n != before {
				t.Fatalf("a service was called (%d requests)", n-before)
			}
		})
	}
	status, body := post2026(t, srv.URL, call2026("users.Users.List", "{}"), nil)
	if status != 200 || !strings.Contains(body, `"result"`) {
		t.Fatalf("gateway stopped serving: %d %s", status, body)
	}
}
