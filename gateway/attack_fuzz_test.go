package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway/audit"
)

// FuzzAttackEveryRequestAccounted fuzzes the other half of issue 9's front
// door: whatever the body and headers,
//   - the answer is a JSON-RPC response (or an empty 202 for a notification
//     or a client's response), never plain text, never a 5xx other than
//     503 with Retry-After;
//   - an error answer carries a reason, and the request has exactly one
//     audit record, a deny with that reason, and decision span events that
//     name only that reason;
//   - an allowed tools/call audit record exists only for a call that reached
//     the service (no forged "allow" records).
func FuzzAttackEveryRequestAccounted(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":29,"result":{}}`,
		`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":1e400,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":1.0},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`,
		`{"jsonrpc":"2.0","id":5,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":6,"method":"prompts/get","params":{"name":"x"}}`,
	} {
		f.Add([]byte(s), true, "tools/call", "probe.Probe.Read", "2026-07-28")
		f.Add([]byte(s), false, "", "", "")
		f.Add([]byte(s), true, "ping", "", "2026-07-28")
	}
	pe := newProbeEnv(f)
	f.Fuzz(func(t *testing.T, body []byte, modern bool, method, name, version string) {
		pe.sink.take()
		pe.probe.take()
		pe.capture.Reset()
		req := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(body))
		pe.headers(req, era{modern: modern}, headerSafe(method), headerSafe(name))
		if modern && version != "" {
			req.Header.Set("Mcp-Protocol-Version", headerSafe(version))
		}
		rec := serveWithin(t, pe.handler, req)
		raw := rec.Body.Bytes()
		if rec.Code >= 500 && (rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "") {
			t.Fatalf("status %d for %q: %s", rec.Code, body, raw)
		}
		got, recs := pe.probe.take(), pe.sink.take()
		var allowedCalls int
		for _, r := range recs {
			if r.Kind() == audit.KindCall && r.Decision() == audit.Allow && r.Phase() != audit.PhaseIntent {
				allowedCalls++
			}
		}
		if allowedCalls != len(got) {
			t.Fatalf("%d allowed tools/call records, %d calls reached the service (%q -> %d %q)", allowedCalls, len(got), body, rec.Code, raw)
		}
		if rec.Code == http.StatusAccepted && len(bytes.TrimSpace(raw)) == 0 {
			return
		}
		msg := raw
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/event-stream") {
			msg = sseData(raw)
		}
		var ans rawAnswer
		if err := json.Unmarshal(msg, &ans); err != nil || (ans.Result == nil && ans.Error == nil) {
			t.Fatalf("answer %d %q to %q is not a JSON-RPC response", rec.Code, raw, body)
		}
		if ans.Error == nil {
			return
		}
		why := ans.reason()
		if why == "" {
			t.Fatalf("error answer without a reason: %q (body %q)", raw, body)
		}
		if len(recs) != 1 || recs[0].Decision() != audit.Deny || string(recs[0].Reason()) != why {
			t.Fatalf("answer reason %s, audit %v (body %q)", why, describe(recs), body)
		}
		for _, ev := range decisionReasons(pe.capture.Spans()) {
			if ev != why {
				t.Fatalf("answer reason %s, decision event %s (body %q)", why, ev, body)
			}
		}
	})
}
