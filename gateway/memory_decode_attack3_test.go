//go:build !race

package gateway_test

// Run without -race: go test -run '^TestMemoryNestedArraysAttack3' ./gateway/

import (
	"bytes"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway"
)

// TestMemoryNestedArraysAttack3: regression test (attack round 3) for "what a message decodes
// into is reserved by its estimated size (wire.Message.DecodeCost)": a
// params._meta of nested one-element arrays ([[[[[[[[]]]]]]]] repeated) costs
// the MCP SDK's decoder (segmentio: every array is make([]any, 0, 10)) ~3.2x
// DecodeCost, plus the exchange's own encoding/json copy of _meta (~0.7x),
// so 8 principals each within their share hold far more than the in-flight
// cap (+ the 48 MiB allowance TestMemoryDecodeWithinBudget uses).
func TestMemoryNestedArraysAttack3(t *testing.T) {
	cfg := gateway.DefaultConfig()
	pe, entered, unblock := heldProbeEnv(t)
	const allowance = 48 << 20

	const n = 8 // principals, one call each, each within its share
	tokens := make([]string, n)
	sessions := make([]string, n)
	for i := range n {
		tokens[i] = pe.tokenFor(t, fmt.Sprintf("user-%d", i), "agent")
		c := &rawClient{url: pe.url, token: tokens[i]}
		c.initialize(t)
		sessions[i] = c.session
	}
	junk := strings.TrimSuffix(strings.Repeat("[[[[[[[[]]]]]]]],", 2_000), ",")
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{},`+
			`"_meta":{"x":[%s]}}}`, i+1, junk)
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, pe.url+"/mcp", bytes.NewReader([]byte(body)))
			pe.headers(req, era{session: sessions[i]}, "tools/call", "probe.Probe.Read")
			req.Header.Set("Authorization", "Bearer "+tokens[i])
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				statuses[i] = resp.StatusCode
				resp.Body.Close()
			}
		})
	}
	got := 0
	select {
	case <-entered:
		got++
	case <-time.After(30 * time.Second):
		unblock()
		wg.Wait()
		t.Fatalf("no call reached the probe: answers %v", statuses)
	}
	time.Sleep(2 * time.Second) // the other calls arrive and wait for the service, held by the gateway
	runtime.GC()
	var held runtime.MemStats
	runtime.ReadMemStats(&held)
	unblock()
	wg.Wait()
	over := int64(held.HeapAlloc) - int64(base.HeapAlloc)
	t.Logf("%d calls in the service; answers %v; %d bytes of text per call; live heap with the calls in flight: +%.1f MiB (in-flight cap %d MiB)",
		got, statuses, len(junk), float64(over)/(1<<20), cfg.MaxInflightBytes>>20)
	if over > cfg.MaxInflightBytes+allowance {
		t.Fatalf("%d principals' in-flight calls, each admitted within its share, hold +%.1f MiB of live heap, over the in-flight cap %d MiB + %d MiB",
			n, float64(over)/(1<<20), cfg.MaxInflightBytes>>20, allowance>>20)
	}
}
