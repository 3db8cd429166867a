package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// rawClient speaks MCP over HTTP by hand (2025-11-25 era), to check status
// codes and headers the SDK client hides.
type rawClient struct {
	url     string
	token   string
	session string
	nextID  atomic.Int64
}

// rawReply is one HTTP answer: status, headers and the JSON-RPC message
// (from a JSON body or the first SSE data event).
type rawReply struct {
	Status int
	Header http.Header
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int64           `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

func (c *rawClient) post(t *testing.T, method string, params any, mutate ...func(*http.Request)) rawReply {
	t.Helper()
	id := c.nextID.Add(1)
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	req, _ := http.NewRequest(http.MethodPost, c.url+"/mcp", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	}
	for _, m := range mutate {
		m(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", method, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := rawReply{Status: resp.StatusCode, Header: resp.Header}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		raw = sseData(raw)
	}
	if len(bytes.TrimSpace(raw)) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("%s: decode %q: %v", method, raw, err)
		}
	}
	if s := resp.Header.Get("Mcp-Session-Id"); s != "" {
		c.session = s
	}
	return r
}

// sseData returns the data of the first SSE event.
func sseData(raw []byte) []byte {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
			return []byte(strings.TrimSpace(d))
		}
	}
	return nil
}

// initialize opens a session.
func (c *rawClient) initialize(t *testing.T) {
	t.Helper()
	r := c.post(t, "initialize", map[string]any{
		"protocolVersion": "2025-11-25", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "raw", "version": "1"},
	})
	if r.Status != http.StatusOK || c.session == "" {
		t.Fatalf("initialize: status %d, session %q, error %+v", r.Status, c.session, r.Error)
	}
	session := c.session
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, c.url+"/mcp", nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Mcp-Session-Id", session)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	req, _ := http.NewRequest(http.MethodPost, c.url+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Mcp-Session-Id", c.session)
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func (c *rawClient) callTool(t *testing.T, name string, args any, mutate ...func(*http.Request)) rawReply {
	t.Helper()
	return c.post(t, "tools/call", map[string]any{"name": name, "arguments": args}, mutate...)
}

func (r rawReply) String() string {
	e := ""
	if r.Error != nil {
		e = fmt.Sprintf(" error %d %s %s", r.Error.Code, r.Error.Message, r.Error.Data)
	}
	return fmt.Sprintf("status %d%s www-authenticate=%q retry-after=%q", r.Status, e,
		r.Header.Get("WWW-Authenticate"), r.Header.Get("Retry-After"))
}
