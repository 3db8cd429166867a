//go:build e2e

package replicas_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// client speaks MCP over HTTP by hand: 2026-07-28 requests (stateless,
// per-request _meta) and 2025-11-25 session requests.
type client struct {
	url, token, session string
	hc                  *http.Client
	next                atomic.Int64
}

// reply is one answer: status, the JSON-RPC message (from a JSON body or
// the first server-sent event) and its error code, if any.
type reply struct {
	status  int
	body    string
	session string
	code    int64
	result  bool
	isError bool
	err     error
}

func (c *client) httpClient() *http.Client {
	if c.hc == nil {
		return &http.Client{Timeout: 10 * time.Second}
	}
	return c.hc
}

// newTrace returns a trace id and a traceparent of a new trace (one user
// message).
func newTrace() (traceID, traceparent string) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	traceID = hex.EncodeToString(b[:16])
	return traceID, "00-" + traceID + "-" + hex.EncodeToString(b[16:]) + "-01"
}

// modern sends a 2026-07-28 request; name is the tool (tools/call) and
// traceparent goes into _meta when set.
func (c *client) modern(t *testing.T, method, name string, args any, traceparent string) reply {
	t.Helper()
	meta := map[string]any{
		"io.modelcontextprotocol/protocolVersion":    "2026-07-28",
		"io.modelcontextprotocol/clientCapabilities": map[string]any{},
		"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "e2e-replicas", "version": "1"},
	}
	if traceparent != "" {
		meta["traceparent"] = traceparent
	}
	params := map[string]any{"_meta": meta}
	if method == "tools/call" {
		params["name"], params["arguments"] = name, args
	}
	h := http.Header{"Mcp-Protocol-Version": {"2026-07-28"}, "Mcp-Method": {method}}
	if name != "" {
		h.Set("Mcp-Name", name)
	}
	return c.send(method, params, h)
}

// legacy sends a request on c's 2025-11-25 session (initialize opens one).
func (c *client) legacy(t *testing.T, method string, params any) reply {
	t.Helper()
	h := http.Header{}
	if c.session != "" {
		h.Set("Mcp-Session-Id", c.session)
		h.Set("Mcp-Protocol-Version", "2025-11-25")
	}
	r := c.send(method, params, h)
	if r.session != "" {
		c.session = r.session
	}
	return r
}

// initialize opens a 2025-11-25 session and sends notifications/initialized.
func (c *client) initialize(t *testing.T) {
	t.Helper()
	r := c.legacy(t, "initialize", map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "e2e-raw", "version": "1"}})
	if r.status != http.StatusOK || c.session == "" {
		t.Fatalf("initialize: %+v", r)
	}
	if r := c.notify("notifications/initialized"); r.status != http.StatusAccepted {
		t.Fatalf("notifications/initialized: %+v", r)
	}
}

func (c *client) notify(method string) reply {
	h := http.Header{"Mcp-Session-Id": {c.session}, "Mcp-Protocol-Version": {"2025-11-25"}}
	return c.do(`{"jsonrpc":"2.0","method":"`+method+`"}`, h)
}

func (c *client) send(method string, params any, h http.Header) reply {
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": c.next.Add(1), "method": method, "params": params})
	return c.do(string(body), h)
}

// sendID is send with a chosen JSON-RPC id (to find its audit record).
func (c *client) sendID(id, method string, params any) reply {
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	h := http.Header{"Mcp-Session-Id": {c.session}, "Mcp-Protocol-Version": {"2025-11-25"}}
	return c.do(string(body), h)
}

func (c *client) do(body string, h http.Header) reply {
	req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(body))
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, session: resp.Header.Get("Mcp-Session-Id"), body: string(raw), err: err}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		raw = sseData(raw)
	}
	var msg struct {
		Result *struct {
			IsError bool `json:"isError"`
		} `json:"result"`
		Error *struct {
			Code int64 `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &msg) == nil {
		r.result = msg.Result != nil
		r.isError = msg.Result != nil && msg.Result.IsError
		if msg.Error != nil {
			r.code = msg.Error.Code
		}
	}
	return r
}

// ok tells whether the call got a successful tool result.
func (r reply) ok() bool { return r.err == nil && r.status == http.StatusOK && r.result && !r.isError }

// sseData is the data of the first server-sent event.
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
