package gateway_test

import (
	"bytes"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
)

// TestFastPathMatchesSDK sends the same 2026-07-28 requests to a gateway
// with the stateless fast path and to one without (the MCP SDK's stateless
// handler) and compares what clients and operators see: status, headers,
// body bytes, the gateway span (name, kind, attributes, events) and the
// audit record.
func TestFastPathMatchesSDK(t *testing.T) {
	fast := newProbeEnv(t)
	sdk := newProbeEnv(t, func(o *gateway.Options) { o.Config.DisableFastPath = true })
	meta := era{modern: true}.meta()
	for _, tc := range []struct{ name, id, args string }{
		{"plain", `1`, `{"limit":2}`},
		{"string id", `"call-7"`, `{"name":"x"}`},
		{"no arguments", `3`, ``},
		{"normalised integer", `4`, `{"limit":2.0,"nested":{"n":1e1}}`},
		{"unicode", `5`, `{"name":"é😀 \u00e9"}`},
		{"invalid arguments", `6`, `{"limit":"x"}`},
		{"scope missing (admin)", `7`, `{}`},
		{"unknown tool", `8`, `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tool := "probe.Probe.Read"
			switch tc.name {
			case "scope missing (admin)":
				tool = "probe.Probe.Admin"
			case "unknown tool":
				tool = "probe.Probe.Nope"
			}
			args := ""
			if tc.args != "" {
				args = `,"arguments":` + tc.args
			}
			body := `{"jsonrpc":"2.0","id":` + tc.id + `,"method":"tools/call","params":{"name":"` + tool + `"` + args + `,` + meta + `}}`
			a := send(t, fast, body, tool)
			b := send(t, sdk, body, tool)
			if a.status != b.status || a.contentType != b.contentType || a.body != b.body {
				t.Fatalf("answers differ:\nfast %d %s %q\nsdk  %d %s %q", a.status, a.contentType, a.body, b.status, b.contentType, b.body)
			}
			if a.span != b.span {
				t.Fatalf("spans differ:\nfast %s\nsdk  %s", a.span, b.span)
			}
			if a.audit != b.audit {
				t.Fatalf("audit records differ:\nfast %s\nsdk  %s", a.audit, b.audit)
			}
			if a.dispatched != b.dispatched {
				t.Fatalf("dispatched differ:\nfast %s\nsdk  %s", a.dispatched, b.dispatched)
			}
		})
	}
}

type observed struct {
	status                  int
	contentType, body       string
	span, audit, dispatched string
}

func send(t *testing.T, pe *probeEnv, body, tool string) observed {
	t.Helper()
	pe.capture.Reset()
	pe.sink.take()
	pe.probe.take()
	req, _ := http.NewRequest(http.MethodPost, pe.url+"/mcp", bytes.NewReader([]byte(body)))
	pe.headers(req, era{modern: true}, "tools/call", tool)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	o := observed{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: string(raw)}
	o.span = gatewaySpan(pe.capture.Spans())
	for _, r := range pe.sink.take() {
		if r.Phase() == audit.PhaseIntent {
			continue
		}
		o.audit += strings.Join([]string{string(r.Kind()), r.Method(), r.Tool(), r.Subject(), string(r.Decision()),
			string(r.Reason()), string(r.Outcome()), r.ErrorType(), r.RateLimit(), r.Args(),
			strings.Join(r.RequiredScopes(), " "), r.JSONRPCID(), r.ProtocolVersion(), r.Transport()}, "|") + "\n"
	}
	for _, g := range pe.probe.take() {
		o.dispatched += g.Endpoint + " " + string(g.Body) + " " + g.Account + "\n"
	}
	return o
}

// gatewaySpan renders the gateway's SERVER span without ids and times.
func gatewaySpan(spans tracetest.SpanStubs) string {
	var out []string
	for _, s := range spans {
		if s.SpanKind.String() != "server" || !strings.HasPrefix(s.Name, "tools/") {
			continue
		}
		var kv []string
		for _, a := range s.Attributes {
			if a.Key == "client.address" {
				continue
			}
			kv = append(kv, string(a.Key)+"="+a.Value.Emit())
		}
		sort.Strings(kv)
		line := s.Name + " " + s.Status.Code.String() + " " + strings.Join(kv, ",")
		for _, ev := range s.Events {
			var ea []string
			for _, a := range ev.Attributes {
				switch a.Key { // differ between any two gateways (keys, random ids, clocks)
				case "tracegate.audit.args.digest", "tracegate.audit.record.hash", "tracegate.audit.record.id",
					"tracegate.audit.duration_ms", "tracegate.audit.record.seq":
					continue
				}
				ea = append(ea, string(a.Key)+"="+a.Value.Emit())
			}
			sort.Strings(ea)
			line += " | " + ev.Name + "{" + strings.Join(ea, ",") + "}"
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
