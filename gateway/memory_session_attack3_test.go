//go:build !race

package gateway_test

// Run without -race: go test -run '^TestMemorySessionInitializeAttack3' ./gateway/

import (
	"bytes"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway"
)

// TestMemorySessionInitializeAttack3: regression test (attack round 3) for the decoded size of
// a message is reserved from the in-flight budget "as long as the request"
// and a resident session costs ~30 KiB (SessionConfig.MaxResident): the MCP
// SDK keeps an initialize's decoded params (capabilities.experimental,
// extensions, _meta: map[string]any) in the session's state for as long as
// the session is resident, long after the request and its reservation are
// gone. One principal's sessions, each initialize within its share, hold
// far more than the in-flight cap once every request has been answered.
func TestMemorySessionInitializeAttack3(t *testing.T) {
	cfg := gateway.DefaultConfig()
	pe := newProbeEnv(t, func(o *gateway.Options) { // the shipped limits
		o.Config.MaxBodyBytes = 0
		o.Config.MaxInflightBytes = 0
		o.Config.MaxInflightBytesPerPrincipal = 0
	})
	junk := strings.TrimSuffix(strings.Repeat("[[[[[[[[]]]]]]]],", 2_000), ",")
	body := []byte(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25",` +
		`"capabilities":{"experimental":{"x":[` + junk + `]}},"clientInfo":{"name":"raw","version":"1"}}}`)
	const n = 40 // sessions of one principal, one after the other
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	for i := range n {
		req, _ := http.NewRequest(http.MethodPost, pe.url+"/mcp", bytes.NewReader(body))
		pe.headers(req, era{}, "initialize", "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") == "" {
			t.Fatalf("initialize %d: %d %.300s", i, resp.StatusCode, raw)
		}
	}
	runtime.GC()
	var held runtime.MemStats
	runtime.ReadMemStats(&held)
	over := int64(held.HeapAlloc) - int64(base.HeapAlloc)
	t.Logf("%d sessions opened (%d bytes per initialize), all requests answered: live heap +%.1f MiB (in-flight cap %d MiB)",
		n, len(body), float64(over)/(1<<20), cfg.MaxInflightBytes>>20)
	if over > cfg.MaxInflightBytes {
		t.Fatalf("with no request in flight, %d idle sessions of one principal hold +%.1f MiB, over the whole in-flight cap %d MiB",
			n, float64(over)/(1<<20), cfg.MaxInflightBytes>>20)
	}
}
