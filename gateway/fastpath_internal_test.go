package gateway

import (
	"net/http"
	"testing"

	"github.com/tracegate/tracegate/gateway/internal/wire"
)

// TestFastPathEligibility: the ordinary stateless tools/call takes the fast
// path; everything the SDK must check itself does not.
func TestFastPathEligibility(t *testing.T) {
	const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"c","version":"1"}}`
	fp := &fastPath{}
	entry := &toolEntry{Name: "a.B.C", Canonical: "a.B.C"}
	build := func(id, params string, mutate func(http.Header)) *exchange {
		m, err := wire.Parse([]byte(`{"jsonrpc":"2.0","id":`+id+`,"method":"tools/call","params":`+params+`}`), 0)
		if err != nil {
			t.Fatal(err)
		}
		ex := newExchange(transportHTTP)
		ex.header = http.Header{}
		ex.header.Set("Mcp-Protocol-Version", "2026-07-28")
		ex.header.Set("Accept", "application/json, text/event-stream")
		if mutate != nil {
			mutate(ex.header)
		}
		ex.version = ex.header.Get("Mcp-Protocol-Version")
		ex.modern = ex.version >= statelessEra
		ex.setMessage(m)
		ex.entry = entry
		return ex
	}
	ok := `{"name":"a.B.C","arguments":{},` + meta + `}`
	for _, tc := range []struct {
		name, id, params string
		mutate           func(http.Header)
		want             bool
	}{
		{"ordinary", `1`, ok, nil, true},
		{"string id", `"x-1"`, ok, nil, true},
		{"escaped id", `"x\u0041"`, ok, nil, false},
		{"huge id", `12345678901234567`, ok, nil, false},
		{"no client capabilities", `1`, `{"name":"a.B.C","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}`, nil, false},
		{"meta version differs", `1`, `{"name":"a.B.C","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-08-01","io.modelcontextprotocol/clientCapabilities":{}}}`, nil, false},
		{"input responses", `1`, `{"name":"a.B.C","inputResponses":{},` + meta + `}`, nil, false},
		{"wildcard accept", `1`, ok, func(h http.Header) { h.Set("Accept", "*/*") }, false},
		{"last event id", `1`, ok, func(h http.Header) { h.Set("Last-Event-ID", "1") }, false},
		{"2025 era", `1`, ok, func(h http.Header) { h.Set("Mcp-Protocol-Version", "2025-11-25") }, false},
	} {
		if got := fp.eligible(build(tc.id, tc.params, tc.mutate)); got != tc.want {
			t.Errorf("%s: eligible = %v, want %v", tc.name, got, tc.want)
		}
	}
	ex := build(`1`, ok, nil)
	ex.entry = &toolEntry{ParamHeaders: true}
	if fp.eligible(ex) {
		t.Error("a tool with x-mcp-header parameters took the fast path")
	}
}

// TestPrincipalKeyUnambiguous: no two (subject, client) pairs share the key
// sessions are bound to, whatever characters they hold.
func TestPrincipalKeyUnambiguous(t *testing.T) {
	seen := map[string][2]string{}
	for _, p := range [][2]string{{"alice\x00x", "agent"}, {"alice", "x\x00agent"}, {"alic", "eagent"}, {"alice", "agent"},
		{"", "aliceagent"}, {"aliceagent", ""}, {"1:a", "b"}, {"1", ":ab"}} {
		ex := newExchange(transportHTTP)
		ex.principal.Subject, ex.principal.Client = p[0], p[1]
		k := ex.principalKey()
		if other, dup := seen[k]; dup {
			t.Fatalf("%q and %q share the key %q", p, other, k)
		}
		seen[k] = p
	}
}
