//go:build !race

package gateway_test

import (
	"bytes"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway"
)

// heapPeak samples the live heap until stop is called and returns the
// highest value seen.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestMemoryBoundedUnderFloods (run without -race, as make test does, with
// the shipped defaults): 100 unauthenticated 1 MB bodies and 50 concurrent
// 1 MB schema-violating bodies. The first are refused from their headers
// (no body read); the second are held within the in-flight budget (64 MiB),
// the rest refused with 503. The peak live heap above the baseline stays
// within the budget plus a fixed allowance for the servers' own buffers.
func TestMemoryBoundedUnderFloods(t *testing.T) {
	pe := newProbeEnv(t, func(o *gateway.Options) { // the shipped defaults
		o.Config.MaxBodyBytes = 0
		o.Config.Audit.PlaintextArgsTools, o.Config.Audit.PlaintextArgsMax = nil, 0
	})
	cfg := gateway.DefaultConfig()
	const allowance = 48 << 20 // HTTP, TLS-less transport buffers, goroutines, test clients
	big := strings.Repeat("x", 1_000_000)

	flood := func(n int, token string, body []byte) map[int]int {
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				req, _ := http.NewRequest(http.MethodPost, pe.url+"/mcp", bytes.NewReader(body))
				pe.headers(req, era{modern: true}, "tools/call", "probe.Probe.Read")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				code := 0
				if err == nil {
					resp.Body.Close()
					code = resp.StatusCode
				}
				mu.Lock()
				statuses[code]++
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		return statuses
	}
	for _, tc := range []struct {
		name  string
		n     int
		token string
		body  string
	}{
		{"100 unauthenticated 1 MB bodies", 100, "not-a-token",
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"name":"` + big + `"}}}`},
		{"50 concurrent 1 MB schema-violating bodies", 50, pe.token,
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":"` + big + `"},` + era{modern: true}.meta() + `}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			stop := heapPeak()
			statuses := flood(tc.n, tc.token, []byte(tc.body))
			peak := stop()
			over := int64(peak) - int64(base.HeapAlloc)
			t.Logf("%s: answers %v; heap baseline %.1f MiB, peak %.1f MiB (+%.1f MiB; in-flight cap %d MiB)",
				tc.name, statuses, mib(base.HeapAlloc), mib(peak), float64(over)/(1<<20), cfg.MaxInflightBytes>>20)
			if over > cfg.MaxInflightBytes+allowance {
				t.Fatalf("peak heap grew by %.1f MiB, over the in-flight cap %d MiB + %d MiB", float64(over)/(1<<20), cfg.MaxInflightBytes>>20, allowance>>20)
			}
			if statuses[0] > 0 || statuses[http.StatusInternalServerError] > 0 {
				t.Fatalf("failed requests: %v", statuses)
			}
			if got := pe.probe.take(); len(got) != 0 {
				t.Fatalf("dispatched %d", len(got))
			}
		})
	}
	if status, _, ans := pe.post(t, era{modern: true}, []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{},`+era{modern: true}.meta()+`}}`), "tools/call", "probe.Probe.Read"); status != 200 {
		t.Fatalf("gateway stopped serving: %d %s", status, ans.Raw)
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
