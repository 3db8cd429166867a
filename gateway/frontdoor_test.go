package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
)

// hostile is one request any client can send that must not be dispatched.
type hostile struct {
	name string
	// body is the request; %META% stands for the era's params._meta and
	// %ID% for the request id.
	body string
	// method and tool are the Mcp-Method/Mcp-Name headers on 2026-07-28.
	method, tool string
	// reason is the refusal reason; reason2025 when it differs there.
	reason, reason2025 string
	// status on 2026-07-28 and on a 2025-11-25 session.
	status2026, status2025 int
	// code is the JSON-RPC error code; 0 means an isError tool result;
	// code2025 when it differs on 2025-11-25.
	code, code2025 int64
	// noID: the id cannot be read, the answer's id is null.
	noID bool
}

func hostileBodies() []hostile {
	call := func(params string) string {
		return `{"jsonrpc":"2.0","id":%ID%,"method":"tools/call","params":` + params + `}`
	}
	read := `"name":"probe.Probe.Read"`
	deep := strings.Repeat(`{"a":`, 80) + "1" + strings.Repeat("}", 80)
	huge := strings.Repeat("x", 200000)
	return []hostile{
		{name: "case-variant method beside method",
			body:   `{"jsonrpc":"2.0","id":%ID%,"method":"tools/call","Method":"ping","params":{"name":"probe.Probe.Admin","arguments":{},%META%}}`,
			method: "tools/call", tool: "probe.Probe.Admin", reason: "invalid_request", status2026: 400, status2025: 400, code: -32600},
		{name: "duplicate method",
			body:   `{"jsonrpc":"2.0","id":%ID%,"method":"ping","method":"tools/call","params":{"name":"probe.Probe.Admin","arguments":{},%META%}}`,
			method: "ping", reason: "invalid_request", status2026: 400, status2025: 400, code: -32600},
		{name: "NAME beside name", body: call(`{"name":"probe.Probe.Admin","NAME":"probe.Probe.Read","arguments":{},%META%}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_request", status2026: 400, status2025: 400, code: -32600},
		{name: "escaped duplicate name", body: call(`{"name":"probe.Probe.Read","n\u0061me":"probe.Probe.Admin","arguments":{},%META%}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_request", status2026: 400, status2025: 400, code: -32600},
		{name: "Arguments beside arguments", body: call(`{` + read + `,"arguments":{},"Arguments":{"limit":9},%META%}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_request", status2026: 400, status2025: 400, code: -32600},
		{name: "_meta case variant", body: call(`{` + read + `,"arguments":{},%META%,"_META":{}}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_request", status2026: 400, status2025: 400, code: -32600},
		{name: "traceparent twice in _meta", body: call(`{` + read + `,"arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",` + modernMeta + `,"traceparent":"a","TraceParent":"b"}}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_request", status2026: 400, status2025: 400, code: -32600},
		{name: "trailing data", body: call(`{`+read+`,"arguments":{},%META%}`) + ` x`,
			method: "tools/call", tool: "probe.Probe.Read", reason: "parse_error", status2026: 400, status2025: 400, code: -32700},
		{name: "batch of tools/call", body: `[` + call(`{`+read+`,"arguments":{},%META%}`) + `]`,
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_request", status2026: 400, status2025: 400, code: -32600, noID: true},
		{name: "batch of ping", body: `[{"jsonrpc":"2.0","id":%ID%,"method":"ping","params":{%META%}}]`,
			method: "ping", reason: "invalid_request", status2026: 400, status2025: 400, code: -32600, noID: true},
		{name: "batch of tools/list", body: `[{"jsonrpc":"2.0","id":%ID%,"method":"tools/list","params":{%META%}}]`,
			method: "tools/list", reason: "invalid_request", status2026: 400, status2025: 400, code: -32600, noID: true},
		{name: "batch of initialize", body: `[{"jsonrpc":"2.0","id":%ID%,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}]`,
			method: "initialize", reason: "invalid_request", status2026: 400, status2025: 400, code: -32600, noID: true},
		{name: "invalid UTF-8", body: call(`{` + read + `,"arguments":{"name":"` + "\xff\xfe" + `"},%META%}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "parse_error", status2026: 400, status2025: 400, code: -32700},
		{name: "deep nesting", body: call(`{` + read + `,"arguments":{"nested":` + deep + `},%META%}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "nesting_too_deep", status2026: 400, status2025: 400, code: -32600},
		{name: "huge tool name", body: call(`{"name":"` + huge + `","arguments":{},%META%}`),
			method: "tools/call", tool: huge, reason: "unknown_tool", status2026: 400, status2025: 200, code: -32602},
		{name: "control characters in tool name", body: call(`{"name":"probe\u0000\n\u001b[31m","arguments":{},%META%}`),
			method: "tools/call", tool: "probe", reason: "header_mismatch", reason2025: "unknown_tool", status2026: 400, status2025: 200, code: -32020, code2025: -32602},
		{name: "admin tool without its scope", body: call(`{"name":"probe.Probe.Admin","arguments":{},%META%}`),
			method: "tools/call", tool: "probe.Probe.Admin", reason: "insufficient_scope", status2026: 403, status2025: 403, code: gateway.CodeForbidden},
		{name: "argument keys colliding by case", body: call(`{` + read + `,"arguments":{"limit":1,"LIMIT":1000000000},%META%}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_arguments", status2026: 200, status2025: 200},
		{name: "argument key differing from the schema by case", body: call(`{` + read + `,"arguments":{"LIMIT":5},%META%}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_arguments", status2026: 200, status2025: 200},
		{name: "nested key differing by case", body: call(`{` + read + `,"arguments":{"nested":{"N":5}},%META%}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_arguments", status2026: 200, status2025: 200},
		{name: "integer with a fraction", body: call(`{` + read + `,"arguments":{"limit":1.5},%META%}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_arguments", status2026: 200, status2025: 200},
		{name: "integer beyond int64", body: call(`{` + read + `,"arguments":{"limit":1e30},%META%}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_arguments", status2026: 200, status2025: 200},
		{name: "schema violation", body: call(`{` + read + `,"arguments":{"limit":"ten"},%META%}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_arguments", status2026: 200, status2025: 200},
		{name: "arguments not an object", body: call(`{` + read + `,"arguments":[1],%META%}`),
			method: "tools/call", tool: "probe.Probe.Read", reason: "invalid_arguments", status2026: 200, status2025: 200},
	}
}

// TestHostileBodiesHTTP sends every hostile body on both protocol eras over
// real HTTP: nothing reaches the service, each gets the right status and a
// JSON-RPC error (or, for invalid arguments, an isError result), and exactly
// one audit record whose reason equals the answer's and the span event's.
func TestHostileBodiesHTTP(t *testing.T) {
	pe := newProbeEnv(t)
	for _, e := range pe.eras(t) {
		for i, h := range hostileBodies() {
			t.Run(e.name+"/"+h.name, func(t *testing.T) {
				pe.capture.Reset()
				pe.sink.take()
				id := json.RawMessage(`"req-` + string(rune('a'+i%26)) + `"`)
				body := strings.NewReplacer("%META%", e.meta(), "%ID%", string(id)).Replace(h.body)
				status, _, ans := pe.post(t, e, []byte(body), h.method, h.tool)
				want, wantStatus, code := h.reason, h.status2026, h.code
				if !e.modern {
					wantStatus = h.status2025
					if h.reason2025 != "" {
						want, code = h.reason2025, h.code2025
					}
				}
				checkRefusal(t, pe, status, ans, wantStatus, want, code)
				if !h.noID && !bytes.Equal(ans.ID, id) {
					t.Errorf("answer id %s, want %s", ans.ID, id)
				}
			})
		}
	}
}

// checkRefusal asserts one refusal end to end: answer, no dispatch, one audit
// record and one decision event, all with reason want.
func checkRefusal(t *testing.T, pe *probeEnv, status int, ans rawAnswer, wantStatus int, want string, code int64) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("status %d, want %d: %.300s", status, wantStatus, ans.Raw)
	}
	switch {
	case code == 0 && (ans.Result == nil || !ans.Result.IsError):
		t.Errorf("want an isError result: %.300s", ans.Raw)
	case code != 0 && (ans.Error == nil || ans.Error.Code != code):
		t.Errorf("want JSON-RPC error %d: %.300s", code, ans.Raw)
	}
	if got := ans.reason(); got != want {
		t.Errorf("answer reason %q, want %q", got, want)
	}
	if got := pe.probe.take(); len(got) != 0 {
		t.Fatalf("dispatched to the service: %+v", got)
	}
	recs := pe.sink.take()
	if len(recs) != 1 || recs[0].Decision() != audit.Deny || string(recs[0].Reason()) != want {
		t.Fatalf("audit records %v, want one deny with reason %s", describe(recs), want)
	}
	if len(recs[0].Tool()) > 128 {
		t.Errorf("recorded tool name of %d bytes", len(recs[0].Tool()))
	}
	if ev := decisionReasons(pe.capture.Spans()); len(ev) != 1 || ev[0] != want {
		t.Fatalf("decision events %v, want [%s]", ev, want)
	}
	for _, s := range pe.capture.Spans() {
		if len(s.Name) > 64 {
			t.Errorf("span name of %d bytes", len(s.Name))
		}
	}
}

func describe(recs []audit.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Kind())+" "+r.Method()+" "+string(r.Decision())+" "+string(r.Reason()))
	}
	return out
}

// decisionReasons lists the reasons of the decision span events recorded.
func decisionReasons(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		for _, ev := range s.Events {
			if ev.Name != gateway.EventAuthzDecision {
				continue
			}
			for _, a := range ev.Attributes {
				if a.Key == gateway.KeyAuthzReason {
					out = append(out, a.Value.AsString())
				}
			}
		}
	}
	return out
}

// TestHostileLinesStdio runs the hostile bodies that apply to stdio (one
// message per line) through ServeStdio: each line is answered, audited and
// not dispatched, and the server keeps serving.
func TestHostileLinesStdio(t *testing.T) {
	st := newProbeEnv(t)
	in, out := stdioPipe(t, st)
	send := func(line string) rawAnswer {
		t.Helper()
		if _, err := io.WriteString(in, line+"\n"); err != nil {
			t.Fatal(err)
		}
		if !out.Scan() {
			t.Fatalf("no answer to %.80q: %v", line, out.Err())
		}
		var a rawAnswer
		a.Raw = out.Text()
		if err := json.Unmarshal(out.Bytes(), &a); err != nil {
			t.Fatalf("answer %q: %v", out.Text(), err)
		}
		return a
	}
	for line, wantID := range map[string]string{"hello": "null", "{": "null", `[]`: "null",
		`{"jsonrpc":"2.0","id":1,"method":"ping"} x`: "1"} { // the id could still be read
		a := send(line)
		if a.Error == nil || string(a.ID) != wantID {
			t.Fatalf("%q: answer %s, want an error with id %s", line, a.Raw, wantID)
		}
	}
	st.sink.take()
	for _, h := range hostileBodies() {
		if strings.Contains(h.body, "\n") || h.reason == "header_mismatch" {
			continue
		}
		t.Run(h.name, func(t *testing.T) {
			st.capture.Reset()
			st.sink.take()
			body := strings.NewReplacer("%META%", `"_meta":{}`, "%ID%", `"s1"`).Replace(h.body)
			want, code := h.reason, h.code
			if h.reason2025 != "" {
				want, code = h.reason2025, h.code2025
			}
			a := send(body)
			checkRefusal(t, st, 0, a, 0, want, code)
		})
	}
	a := send(`{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":1.0}}}`)
	if a.Result == nil || a.Result.IsError {
		t.Fatalf("stopped serving: %s", a.Raw)
	}
	if got := st.probe.take(); len(got) != 1 || string(got[0].Body) != `{"limit":1}` {
		t.Fatalf("dispatched %+v, want {\"limit\":1}", got)
	}
}

// stdioPipe serves pe's gateway on a pipe (its stdio credential is pe's
// token), initializes an MCP session by hand and returns the writer and a
// line scanner of the answers.
func stdioPipe(t *testing.T, pe *probeEnv) (io.Writer, *bufio.Scanner) {
	t.Helper()
	toServer, in := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- pe.gw.ServeStdio(t.Context(), toServer, outW) }()
	t.Cleanup(func() {
		_ = in.Close()
		_ = outR.Close()
		<-done
	})
	sc := bufio.NewScanner(outR)
	sc.Buffer(make([]byte, 0, 1<<16), 8<<20)
	for _, l := range []string{
		`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`,
	} {
		if _, err := io.WriteString(in, l+"\n"); err != nil {
			t.Fatal(err)
		}
		if !sc.Scan() {
			t.Fatal("no initialize answer")
		}
	}
	if _, err := io.WriteString(in, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"); err != nil {
		t.Fatal(err)
	}
	return in, sc
}

// FuzzFrontDoor checks the front door's invariant: a call reaches a service
// only with the exact tool, method and argument bytes that admission allowed
// for that principal. Whatever the body and headers, every request the
// probe service receives matches one allowed audit record of the same tool
// whose arguments are the received bytes, for the token's subject, and the
// admin endpoint (a scope the token lacks) is never reached.
func FuzzFrontDoor(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","Method":"ping","params":{"name":"probe.Probe.Admin","arguments":{"limit":1}}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"probe.Probe.Admin","NAME":"probe.Probe.Read","arguments":{}}}`,
		`[{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"probe.Probe.Admin","arguments":{}}}]`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":1.0}}} x`,
		`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":1.0,"name":"n"}}}`,
		`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":1,"LIMIT":1e9}}}`,
		`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"nested":{"n":2e0}},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
	} {
		f.Add([]byte(s), true, "tools/call", "probe.Probe.Read")
		f.Add([]byte(s), false, "", "")
		f.Add([]byte(s), true, "ping", "probe.Probe.Admin")
	}
	pe := newProbeEnv(f)
	f.Fuzz(func(t *testing.T, body []byte, modern bool, method, name string) {
		pe.sink.take()
		pe.probe.take()
		req := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(body))
		e := era{modern: modern}
		pe.headers(req, e, headerSafe(method), headerSafe(name))
		rec := serveWithin(t, pe.handler, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
		got, recs := pe.probe.take(), pe.sink.take()
		var allowed []audit.Record
		for _, r := range recs {
			if r.Kind() == audit.KindCall && r.Decision() == audit.Allow && r.Phase() != audit.PhaseIntent {
				allowed = append(allowed, r)
			}
		}
		if len(got) != len(allowed) {
			t.Fatalf("%d requests reached the service, %d calls were allowed (%q)", len(got), len(allowed), body)
		}
		for i, g := range got {
			var compact bytes.Buffer
			if err := json.Compact(&compact, g.Body); err != nil {
				t.Fatalf("service received invalid JSON %q", g.Body)
			}
			a := allowed[i]
			switch {
			case g.Endpoint == "Probe.Admin":
				t.Fatalf("the admin endpoint was reached with a probe:read token: %q", body)
			case a.Tool() != "probe."+g.Endpoint:
				t.Fatalf("admitted %s, dispatched %s (%q)", a.Tool(), g.Endpoint, body)
			case a.Args() != compact.String():
				t.Fatalf("admitted arguments %s, dispatched %s (%q)", a.Args(), compact.String(), body)
			case g.Account != a.Subject() || a.Subject() != "alice":
				t.Fatalf("dispatched for %q, admitted for %q", g.Account, a.Subject())
			}
		}
	})
}

// headerSafe drops what cannot be an HTTP header value.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return -1
		}
		return r
	}, s)
}

// TestBaggageTrustBoundary: client baggage keys outside the allow-list
// never reach a service; the gateway's subject and intent keys do, with the
// token's values even when the client sent others.
func TestBaggageTrustBoundary(t *testing.T) {
	pe := newProbeEnv(t, func(o *gateway.Options) { o.Config.Baggage.Allow = []string{"ok"} })
	e := era{modern: true}
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{},` +
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",` + modernMeta + `,` +
		`"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",` +
		`"baggage":"tenant=evil,tracegate.subject=mallory,tracegate.intent.id=forged,ok=1,user.id=root"}}}`
	status, _, ans := pe.post(t, e, []byte(body), "tools/call", "probe.Probe.Read")
	if status != 200 || ans.Error != nil {
		t.Fatalf("call: %d %s", status, ans.Raw)
	}
	got := pe.probe.take()
	if len(got) != 1 {
		t.Fatalf("receptions %+v", got)
	}
	members := map[string]string{}
	for _, m := range strings.Split(got[0].Baggage, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(m), "=")
		members[k] = v
	}
	want := map[string]string{"ok": "1", gateway.BaggageSubject: "alice", gateway.BaggageIntentID: "msg-42"}
	if len(members) != len(want) {
		t.Fatalf("service baggage %q, want exactly %v", got[0].Baggage, want)
	}
	for k, v := range want {
		if members[k] != v {
			t.Fatalf("service baggage %q: %s=%q, want %q", got[0].Baggage, k, members[k], v)
		}
	}
}

// TestIntegerNormalisation: a number the schema types as integer but sent as
// 1.0 or 1e0 (which JSON Schema accepts and Go's decoder refuses) reaches
// the service as an integer, and the audit record holds the same bytes.
func TestIntegerNormalisation(t *testing.T) {
	pe := newProbeEnv(t)
	for _, e := range pe.eras(t) {
		for args, want := range map[string]string{
			`{"limit":1.0}`:                  `{"limit":1}`,
			`{"limit":1e0,"name":"x"}`:       `{"limit":1,"name":"x"}`,
			`{"nested":{"n":-2.000E+1}}`:     `{"nested":{"n":-20}}`,
			`{"limit":3}`:                    `{"limit":3}`,
			`{ "name" : "1.5", "limit":0.0}`: `{ "name" : "1.5", "limit":0}`,
		} {
			pe.sink.take()
			body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":` + args + `,` + e.meta() + `}}`
			status, _, ans := pe.post(t, e, []byte(body), "tools/call", "probe.Probe.Read")
			if status != 200 || ans.Error != nil || (ans.Result != nil && ans.Result.IsError) {
				t.Fatalf("%s %s: %d %s", e.name, args, status, ans.Raw)
			}
			got := pe.probe.take()
			if len(got) != 1 || string(got[0].Body) != want {
				t.Fatalf("%s %s: service received %+v, want %s", e.name, args, got, want)
			}
		}
	}
}
