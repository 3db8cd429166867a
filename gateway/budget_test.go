package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway"
)

// TestLargeArgumentsAdmitted: with the shipped limits (body 1 MiB, in-flight
// 64 MiB, share 8 MiB) a valid tools/call just under max_body_bytes is
// served on an idle gateway: its reservation (the body and its decoded
// size, wire.Message.DecodeCost) fits one principal's share, so a 503
// "retry later" is never an answer that no retry can change.
func TestLargeArgumentsAdmitted(t *testing.T) {
	pe := newProbeEnv(t, func(o *gateway.Options) {
		o.Config.MaxBodyBytes, o.Config.MaxInflightBytes, o.Config.MaxInflightBytesPerPrincipal = 0, 0, 0
		o.Config.Audit.PlaintextArgsTools, o.Config.Audit.PlaintextArgsMax = nil, 0
	})
	e := era{name: "2026-07-28", modern: true}
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"name":"` +
		strings.Repeat("x", 950_000) + `"},` + e.meta() + `}}`
	status, _, raw := pe.sendRaw(t, e, []byte(body), "tools/call", "probe.Probe.Read", nil)
	if status != http.StatusOK {
		t.Fatalf("a valid %d-byte call (under max_body_bytes %d) on an idle gateway: %d %.200s", len(body), 1<<20, status, raw)
	}
}
