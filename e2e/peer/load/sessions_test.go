package load_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tracegate/tracegate/gateway"
)

// TestSessionMemory opens 2025-11-25 sessions (initialize, the initialized
// notification, one tools/call each) and keeps them open, then prints what
// they cost the process: Go heap and goroutine stacks in use after a GC,
// per session and for all, and the process's resident set (VmRSS: the
// blog, the gateway and the client together, so an upper bound on the
// gateway's). Issue 13's goal is 10,000 open sessions in ≤ 256 MiB RSS; the
// full run (make bench) opens 10,000, the smoke run (make test) 200. It
// asserts correctness only: every session opened, acknowledged and served
// its call.
func TestSessionMemory(t *testing.T) {
	n := 200
	if *full {
		n = 10000
	}
	b := startBench(t)
	opts := gateway.Options{Config: gateway.DefaultConfig()}
	opts.Config.Auth.Anonymous = true
	opts.Config.Sessions.MaxPerSubject, opts.Config.Sessions.MaxTotal = n+1, n+1
	url := b.serveGateway(t, opts)

	open := func(ctx context.Context) (string, error) { return b.openSession(ctx, url) }
	if _, err := open(t.Context()); err != nil { // warm: the SDK's first session builds its caches
		t.Fatal(err)
	}
	before := inUse()

	ids := make([]string, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				id, err := open(t.Context())
				if err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, fmt.Errorf("session %d: %w", i, err))
					mu.Unlock()
					continue
				}
				ids[i] = id
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Fatalf("session id %q missing or repeated", id)
		}
		seen[id] = true
	}

	after := inUse()
	perSession := float64(after-before) / float64(n)
	fmt.Printf("sessions: %d open 2025-11-25 sessions: heap+stacks %+.1f MiB (%.1f KiB per session, %.0f MiB per 10,000); process RSS %d MiB (blog, gateway and client; goal for 10,000: ≤ 256 MiB)\n",
		n, float64(after-before)/(1<<20), perSession/1024, perSession*10000/(1<<20), rssMiB(t))
	runtime.KeepAlive(ids)
}

// openSession opens one 2025-11-25 session, acknowledges it and calls the
// read tool on it; it returns the session id.
func (b *bench) openSession(ctx context.Context, url string) (string, error) {
	const version = "2025-11-25"
	post := func(session, body string) (*http.Response, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
			req.Header.Set("Mcp-Protocol-Version", version)
		}
		resp, err := b.hc.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		return resp, raw, err
	}
	resp, raw, err := post("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"`+version+
		`","capabilities":{},"clientInfo":{"name":"load","version":"1"}}}`)
	if err != nil {
		return "", err
	}
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || id == "" || !bytes.Contains(raw, []byte(`"protocolVersion":"`+version+`"`)) {
		return "", fmt.Errorf("initialize: status %d, session %q: %.300s", resp.StatusCode, id, raw)
	}
	if resp, raw, err = post(id, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); err != nil {
		return "", err
	} else if resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("notifications/initialized: status %d: %.300s", resp.StatusCode, raw)
	}
	resp, raw, err = post(id, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"`+readTool+`","arguments":`+string(b.args)+`}}`)
	if out, err := b.classify(statusOf(resp), raw, err); err != nil {
		return "", fmt.Errorf("tools/call (%v): %w", out, err)
	}
	return id, nil
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// inUse is the Go heap and goroutine stacks in use after a GC, in bytes.
func inUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// rssMiB is this process's resident set (VmRSS) in MiB.
func rssMiB(t *testing.T) int {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return kib >> 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}
