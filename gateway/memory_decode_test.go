//go:build !race

package gateway_test

// Run without -race (it multiplies allocations), as make test does:
// go test -run '^TestMemory' ./gateway/

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

// TestMemoryDecodeWithinBudget: what a message decodes into is reserved
// by its estimated size (wire.Message.DecodeCost), not its text's: a
// params._meta of tiny containers ([{},{},…], ~27 bytes of live heap per
// byte of text) held by 8 slow calls of one principal keeps the live heap
// within the in-flight cap plus the allowance TestMemoryBoundedUnderFloods
// uses, and the calls the budget cannot hold are refused, not served.
func TestMemoryDecodeWithinBudget(t *testing.T) {
	cfg := gateway.DefaultConfig()
	share := max(cfg.MaxInflightBytes/8, cfg.MaxBodyBytes)
	for _, tc := range []struct {
		name  string
		items int  // [{},{},…] in _meta
		fits  bool // one such call fits the principal's share
	}{
		{"within the share", 40_000, true},
		{"over the share", 330_000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pe, entered, unblock := heldProbeEnv(t)
			const allowance = 48 << 20

			const n = 8
			junk := strings.TrimSuffix(strings.Repeat("{},", tc.items), ",")
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			var wg sync.WaitGroup
			statuses := make([]int, n)
			for i := range n {
				body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{},`+
					`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",%s,"x":[%s]}}}`, i+1, modernMeta, junk)
				if len(body) > int(cfg.MaxBodyBytes) {
					t.Fatalf("body of %d bytes over the limit", len(body))
				}
				wg.Go(func() {
					req, _ := http.NewRequest(http.MethodPost, pe.url+"/mcp", bytes.NewReader([]byte(body)))
					pe.headers(req, era{modern: true}, "tools/call", "probe.Probe.Read")
					resp, err := http.DefaultClient.Do(req)
					if err == nil {
						statuses[i] = resp.StatusCode
						resp.Body.Close()
					}
				})
			}
			if tc.fits {
				select {
				case <-entered:
				case <-time.After(30 * time.Second):
					t.Fatal("no call reached the probe")
				}
				time.Sleep(2 * time.Second) // the other calls arrive (refused or waiting: the heap tells either way)
			} else {
				wg.Wait()
			}
			runtime.GC()
			var held runtime.MemStats
			runtime.ReadMemStats(&held)
			unblock()
			wg.Wait()
			over := int64(held.HeapAlloc) - int64(base.HeapAlloc)
			t.Logf("answers %v; live heap after GC with the calls in flight: +%.1f MiB (in-flight cap %d MiB, principal share %d MiB)",
				statuses, float64(over)/(1<<20), cfg.MaxInflightBytes>>20, share>>20)
			if over > cfg.MaxInflightBytes+allowance {
				t.Fatalf("one principal's %d in-flight calls hold +%.1f MiB of live heap, over the in-flight cap %d MiB + %d MiB",
					n, float64(over)/(1<<20), cfg.MaxInflightBytes>>20, allowance>>20)
			}
			for _, st := range statuses {
				switch {
				case tc.fits && st != http.StatusOK && st != http.StatusServiceUnavailable,
					!tc.fits && st != http.StatusRequestEntityTooLarge:
					t.Fatalf("answers %v", statuses)
				}
			}
			if got := len(entered); !tc.fits && got > 0 {
				t.Fatalf("%d calls over the share reached the service", got)
			}
		})
	}
}

// heldProbeEnv is a probe environment with the shipped limits whose service
// holds every call until unblock (also run at cleanup); entered receives one
// value per call that reached it.
func heldProbeEnv(t *testing.T) (pe *probeEnv, entered chan struct{}, unblock func()) {
	t.Helper()
	pe = newProbeEnv(t, func(o *gateway.Options) {
		o.Config.MaxBodyBytes = 0
		o.Config.MaxInflightBytes = 0
		o.Config.MaxInflightBytesPerPrincipal = 0
		o.Config.Audit.PlaintextArgsTools, o.Config.Audit.PlaintextArgsMax = nil, 0
	})
	release := make(chan struct{})
	entered = make(chan struct{}, 64)
	pe.probe.onCall = func() {
		entered <- struct{}{}
		<-release
	}
	var once sync.Once
	unblock = func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	return pe, entered, unblock
}
