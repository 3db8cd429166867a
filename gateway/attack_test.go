package gateway_test

// Attacks on the front door (issue 9) by a hostile client holding a
// probe:read token: each test states the property it tries to break.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
)

// sendRaw posts body on era e (its headers, Mcp-Method/Mcp-Name on 2026)
// with extra header overrides (an empty value deletes the header) and
// returns status, headers and the raw answer.
func (pe *probeEnv) sendRaw(t testing.TB, e era, body []byte, method, name string, extra map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, pe.url+"/mcp", bytes.NewReader(body))
	pe.headers(req, e, method, name)
	for k, v := range extra {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// TestAttackResponseMessageForgesAllowedCall: a client may POST a JSON-RPC
// response (MCP clients answer server requests that way). It is not a
// tools/call, nothing is dispatched, and so the audit trail must not say
// that an allowed tools/call happened. Today the response is recorded as
// kind=call, method=tools/call, decision=allow: any client can plant
// "allowed tools/call" records (with the Mcp-Name of an admin tool on
// 2026-07-28) that audit search and FuzzFrontDoor count as calls.
func TestAttackResponseMessageForgesAllowedCall(t *testing.T) {
	pe := newProbeEnv(t)
	for _, e := range pe.eras(t) {
		for _, body := range []string{
			`{"jsonrpc":"2.0","id":29,"result":{}}`,
			`{"jsonrpc":"2.0","id":30,"error":{"code":-1,"message":"no"}}`,
		} {
			t.Run(e.name+"/"+body, func(t *testing.T) {
				pe.sink.take()
				status, _, raw := pe.sendRaw(t, e, []byte(body), "tools/call", "probe.Probe.Admin", nil)
				if got := pe.probe.take(); len(got) != 0 {
					t.Fatalf("dispatched %+v", got)
				}
				for _, r := range pe.sink.take() {
					if r.Kind() == audit.KindCall || r.Method() == audit.MethodToolsCall {
						t.Errorf("a JSON-RPC response (answer %d %q) was audited as %s %s decision=%s reason=%q tool=%q",
							status, raw, r.Kind(), r.Method(), r.Decision(), r.Reason(), r.Tool())
					}
				}
			})
		}
	}
}

// refusedLate is a request the front admits and the MCP SDK then refuses.
type refusedLate struct {
	name string
	body string // %META% is the era's params._meta
	// only2025 / only2026 restrict the case to one era.
	only2025, only2026 bool
	// method is the Mcp-Method header on 2026 (tools/call when empty).
	method string
	// noSession sends a 2025-era request without Mcp-Session-Id.
	noSession bool
}

// TestAttackLateRefusalsAgree: every refusal carries one reason, the same
// in the answer, the audit record and the decision span event (issue 9,
// point 3). Refusals made by the SDK after the admitter has already
// emitted "granted" (no id on a tools/call, an id the SDK cannot decode, a
// _meta the SDK refuses) end with answer/audit "invalid_request" or
// "invalid_params" but a span event "granted"; a refusal the SDK makes for
// an unknown method on a session has no decision event at all; a JSON-RPC
// error the SDK's handler returns (a second initialize on a session) is
// audited as decision=allow with no reason.
func TestAttackLateRefusalsAgree(t *testing.T) {
	pe := newProbeEnv(t)
	cases := []refusedLate{
		{name: "tools/call without id", body: `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":1},%META%}}`},
		{name: "tools/call with id null", body: `{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":2},%META%}}`},
		{name: "id 1e400", body: `{"jsonrpc":"2.0","id":1e400,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":4},%META%}}`},
		{name: "progressToken object without protocol version", only2026: true,
			body: `{"jsonrpc":"2.0","id":15,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{},"_meta":{"progressToken":{}}}}`},
		{name: "unknown method on a session", only2025: true, body: `{"jsonrpc":"2.0","id":27,"method":"foo/bar","params":{%META%}}`},
		{name: "tools/call without a session", only2025: true, noSession: true,
			body: `{"jsonrpc":"2.0","id":31,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{}}}`},
		{name: "second initialize on a session", only2025: true,
			body: `{"jsonrpc":"2.0","id":28,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`},
	}
	for _, e := range pe.eras(t) {
		for _, c := range cases {
			if (c.only2025 && e.modern) || (c.only2026 && !e.modern) {
				continue
			}
			t.Run(e.name+"/"+c.name, func(t *testing.T) {
				pe.sink.take()
				pe.capture.Reset()
				body := strings.ReplaceAll(c.body, "%META%", e.meta())
				method := c.method
				if method == "" {
					method = "tools/call"
				}
				ee := e
				if c.noSession {
					ee = era{name: e.name}
				}
				_, h, raw := pe.sendRaw(t, ee, []byte(body), method, "probe.Probe.Read", nil)
				ans := decodeAnswer(t, h, raw)
				if got := pe.probe.take(); len(got) != 0 {
					t.Fatalf("dispatched %+v", got)
				}
				if ans.Error == nil {
					t.Fatalf("not a JSON-RPC error: %s", raw)
				}
				want := ans.reason()
				if want == "" {
					t.Errorf("the JSON-RPC error carries no reason: %s", raw)
				}
				recs := pe.sink.take()
				if len(recs) != 1 || recs[0].Decision() != audit.Deny || string(recs[0].Reason()) != want {
					t.Errorf("answer reason %q (%s); audit records %v, want one deny with the same reason", want, raw, describe(recs))
				}
				if ev := decisionReasons(pe.capture.Spans()); len(ev) != 1 || ev[0] != want {
					t.Errorf("answer reason %q; decision events %v, want [%s]", want, ev, want)
				}
			})
		}
	}
}

// TestAttackAnswerIDIsTheRequestID: JSON-RPC 2.0 §5: the response id is
// the request's id. The front admits numeric ids the SDK carries as float64
// (a fraction, or beyond int64), the SDK answers with another id (1.5 -> 1,
// 123456789012345678901234567890 -> -9223372036854775808), so a client
// matching answers by id on a 2025-11-25 session can be handed another
// request's answer. stdio refuses such ids (makeID); HTTP should too.
func TestAttackAnswerIDIsTheRequestID(t *testing.T) {
	pe := newProbeEnv(t)
	for _, e := range pe.eras(t) {
		for _, id := range []string{`1.5`, `123456789012345678901234567890`, `9007199254740993`, `-0`, `1E2`} {
			t.Run(e.name+"/"+id, func(t *testing.T) {
				pe.sink.take()
				body := `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{},` + e.meta() + `}}`
				_, h, raw := pe.sendRaw(t, e, []byte(body), "tools/call", "probe.Probe.Read", nil)
				pe.probe.take()
				ans := decodeAnswer(t, h, raw)
				if string(ans.ID) != id && ans.Error == nil {
					t.Errorf("request id %s answered with id %s: %.200s", id, ans.ID, raw)
				}
			})
		}
	}
}

// TestAttackNonCallParamsArgumentsSurviveTheHandOver: the front hands the
// SDK ex.msg.WithArguments(ex.args); ex.args is only set for an admitted
// tools/call, so for any other method whose params carry an "arguments"
// member (prompts/get does, MCP 2025-11-25) the member's value is cut out
// and the SDK receives `"arguments":,` — invalid JSON, refused as
// "malformed payload". Fails closed, but prompts/get with arguments (and
// any request a client serialises with an "arguments" member) cannot work.
func TestAttackNonCallParamsArgumentsSurviveTheHandOver(t *testing.T) {
	pe := newProbeEnv(t)
	for _, e := range pe.eras(t) {
		for _, m := range []string{"ping", "prompts/get", "tools/list"} {
			t.Run(e.name+"/"+m, func(t *testing.T) {
				body := `{"jsonrpc":"2.0","id":41,"method":"` + m + `","params":{"name":"p","arguments":{"a":"b"},` + e.meta() + `}}`
				_, h, raw := pe.sendRaw(t, e, []byte(body), m, "p", nil)
				if strings.Contains(string(raw), "malformed payload") || strings.Contains(string(raw), "looking for beginning of value") {
					t.Fatalf("the SDK received a corrupted body: %.300s", raw)
				}
				_ = h
			})
		}
	}
}

// TestAttackStdioSurvivesAnyResponseLine: issue 9 point 8, "stdio never
// dies on a bad line". A JSON-RPC error response with id null (what a
// client sends when it could not parse a server request, JSON-RPC 2.0 §5)
// ends the whole stdio server today: lineConn.Read hands the line to
// jsonrpc.DecodeMessage, whose error ends the SDK's connection.
func TestAttackStdioSurvivesAnyResponseLine(t *testing.T) {
	for _, l := range []string{
		`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`,
		`{"jsonrpc":"2.0","id":1,"result":{}}`,
		`{"jsonrpc":"2.0","id":"zz","error":{"code":1,"message":"x"}}`,
		`{"jsonrpc":"2.0","id":1.5,"result":{}}`,
		`{"jsonrpc":"2.0","id":2,"method":"ping","params":[]}`,
	} {
		t.Run(l, func(t *testing.T) {
			st := newProbeEnv(t)
			in, out := stdioPipe(t, st)
			if _, err := io.WriteString(in, l+"\n"); err != nil {
				t.Fatal(err)
			}
			_, err := io.WriteString(in, `{"jsonrpc":"2.0","id":77,"method":"ping"}`+"\n")
			for err == nil && out.Scan() {
				if strings.Contains(out.Text(), `"id":77`) {
					return
				}
			}
			t.Fatalf("stdio stopped serving after %s (write: %v, read: %v)", l, err, out.Err())
		})
	}
}

// TestAttackStalledUploadsStarveOtherPrincipals: the in-flight body budget
// (issue 9 point 6) is reserved from the declared Content-Length before a
// byte is read and held until the body arrives or the server's read timeout
// (60 s in HTTPServer). One authenticated low-privilege client that opens
// enough connections declaring the maximum body and then sends nothing
// holds the whole budget: every other principal's small tools/call is
// refused 503 "overloaded" for as long as the connections stay open (and
// the attacker re-opens them every minute). Bounded memory should not cost
// availability: reserve what has been read, or cap a principal's share.
func TestAttackStalledUploadsStarveOtherPrincipals(t *testing.T) {
	const limit = 1 << 20
	pe := newProbeEnv(t, func(o *gateway.Options) {
		o.Config.MaxBodyBytes = limit
		o.Config.MaxInflightBytes = 16 * limit
	})
	mallory := pe.tokenFor(t, "mallory", "agent-m")
	host := strings.TrimPrefix(pe.url, "http://")
	for i := range 16 {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		fmt.Fprintf(conn, "POST /mcp HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"+
			"Accept: application/json, text/event-stream\r\nMcp-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\n"+
			"Mcp-Name: probe.Probe.Read\r\nContent-Length: %d\r\n\r\n{", host, mallory, limit)
		_ = i
	}
	time.Sleep(300 * time.Millisecond) // let the server take the headers (not a timed assertion: the outcome below is checked either way)
	e := era{name: "2026-07-28", modern: true}
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{},` + e.meta() + `}}`
	status, _, raw := pe.sendRaw(t, e, []byte(body), "tools/call", "probe.Probe.Read",
		map[string]string{"Authorization": "Bearer " + pe.tokenFor(t, "alice", "agent-a")})
	if status != http.StatusOK {
		t.Fatalf("alice's 200-byte call while mallory stalls 16 uploads: %d %s", status, raw)
	}
}

// TestAttackSessionOwnerKeyIsAmbiguous: a session is bound to
// subject + "\x00" + client (exchange.principalKey); the SDK's own binding
// uses the same string. Two different principals whose subject and client
// differ only in where a NUL falls share that key, so one can use and
// delete the other's session. Subjects and client ids are issuer-chosen
// strings, not guaranteed NUL-free.
func TestAttackSessionOwnerKeyIsAmbiguous(t *testing.T) {
	pe := newProbeEnv(t)
	// The JWT verifier refuses control characters in sub and client_id;
	// the owner key itself is length-prefixed (TestPrincipalKeyUnambiguous)
	// for verifiers that do not.
	refused := &rawClient{url: pe.url, token: pe.tokenFor(t, "alice\x00x", "agent")}
	if r := refused.post(t, "ping", map[string]any{}); r.Status != http.StatusUnauthorized {
		t.Fatalf("a subject with a NUL was accepted: %s", r)
	}
	owner := &rawClient{url: pe.url, token: pe.tokenFor(t, "alice", "agent")}
	owner.initialize(t)
	thief := &rawClient{url: pe.url, token: pe.tokenFor(t, "alic", "eagent"), session: owner.session}
	if r := thief.post(t, "ping", map[string]any{}); r.Status != http.StatusNotFound {
		t.Fatalf("another principal (sub alic, client eagent) used the session of (sub alice, client agent): %s", r)
	}
}

// TestAttackArgumentBytesRoundTrip (held): argument forms a Go decoder
// reads differently than JSON Schema are refused or normalised, and what
// reaches the service is what the audit record holds.
func TestAttackArgumentBytesRoundTrip(t *testing.T) {
	pe := newProbeEnv(t)
	for _, e := range pe.eras(t) {
		for args, want := range map[string]string{
			`{"neſted":{"n":1}}`:               "invalid_arguments", // long s folds to s (Go decoders match it to "nested")
			`{"nested":{"\u212a":1,"n":1}}`:    "",                  // Kelvin sign is its own key here, no property k: refused by additionalProperties
			`{"lımit":5}`:                      "invalid_arguments", // dotless i does not fold to i: an unknown key
			`{"limit":1,"\u006cimit":2}`:       "invalid_request",   // escaped duplicate
			`{"LIMIT":1}`:                      "invalid_arguments",
			`{"limit":1e400}`:                  "invalid_arguments",
			`{"limit":9007199254740993.0}`:     "ok:9007199254740993",
			`{"limit":-0.0}`:                   "ok:0",
			`{"limit":1.00000000000000000001}`: "invalid_arguments",
			`{"__proto__":{"limit":9}}`:        "invalid_arguments",
			`{"name":"\ud800"}`:                "parse_error",
			`{"name":"\udc00\ud800"}`:          "parse_error",
			`{"name":"\ud83d\ude00"}`:          "ok",
		} {
			t.Run(e.name+"/"+args, func(t *testing.T) {
				pe.sink.take()
				body := `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":` + args + `,` + e.meta() + `}}`
				_, h, raw := pe.sendRaw(t, e, []byte(body), "tools/call", "probe.Probe.Read", nil)
				ans := decodeAnswer(t, h, raw)
				got := pe.probe.take()
				recs := pe.sink.take()
				switch {
				case strings.HasPrefix(want, "ok"):
					if len(got) != 1 || len(recs) != 1 || recs[0].Args() != string(got[0].Body) {
						t.Fatalf("dispatched %+v, audit %v", got, describe(recs))
					}
					if n, ok := strings.CutPrefix(want, "ok:"); ok && string(got[0].Body) != `{"limit":`+n+`}` {
						t.Fatalf("service got %s", got[0].Body)
					}
				case want == "":
					if len(got) != 0 && (len(recs) != 1 || recs[0].Args() != string(got[0].Body)) {
						t.Fatalf("dispatched %+v, audit %v", got, describe(recs))
					}
				default:
					if len(got) != 0 || ans.reason() != want {
						t.Fatalf("dispatched %+v, answer %s, want %s", got, raw, want)
					}
				}
			})
		}
	}
}
