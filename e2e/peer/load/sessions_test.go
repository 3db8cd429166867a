package load_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSessionMemory opens 2025-11-25 sessions on a real `tracegate serve`
// process (anonymous, memory registry, 127.0.0.1, the shipped runtime
// settings: GOGC 400 and its memory limit) — initialize, the initialized
// notification and a ping each — keeps them open and prints the process's
// resident set (VmRSS) before and after. Issue 13's goal is 10,000 open
// sessions in ≤ 256 MiB RSS; the full run (make bench) opens 10,000, the
// smoke run (make test) 200. It asserts correctness only: every session
// opened, acknowledged and answered, with a distinct id.
func TestSessionMemory(t *testing.T) {
	n := 200
	if *full {
		n = 10000
	}
	url, pid := startServe(t, n+1)
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(hc.CloseIdleConnections)
	open := func(ctx context.Context) (string, error) { return openSession(ctx, hc, url) }
	if _, err := open(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := rssMiB(t, pid)

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
					firstErr = cmp.Or(firstErr, fmt.Errorf("session %d: %w", i, err))
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
	after := rssMiB(t, pid)
	fmt.Printf("sessions: tracegate serve with %d open 2025-11-25 sessions: RSS %d MiB (%d MiB before them, %+d MiB; goal for 10,000: ≤ 256 MiB)\n",
		n, after, before, after-before)
}

// startServe builds and starts `tracegate serve` (anonymous, memory
// registry, a free 127.0.0.1 port, room for sessions sessions) and returns
// its MCP URL and process id; the process is killed at cleanup.
func startServe(t *testing.T, sessions int) (string, int) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "tracegate")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/tracegate/tracegate/cmd/tracegate").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "tracegate.yaml")
	yaml := fmt.Sprintf("sessions:\n  idle_timeout: 30m\n  max_lifetime: 24h\n  max_per_subject: %d\n  max_total: %d\n", sessions, sessions)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--anonymous", "--registry", "memory", "--addr", addr, "--config", cfg)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GOGC=") || strings.HasPrefix(kv, "GOMEMLIMIT=") // serve's own defaults
	})
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("tracegate serve output:\n%s", logs.String())
		}
	})
	url := "http://" + addr + "/mcp"
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, cmd.Process.Pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("tracegate serve not healthy on %s within 30s", addr)
		}
	}
}

// openSession opens one 2025-11-25 session, acknowledges it and pings on
// it; it returns the session id.
func openSession(ctx context.Context, hc *http.Client, url string) (string, error) {
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
		resp, err := hc.Do(req)
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
	resp, raw, err = post(id, `{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(raw, []byte(`"result":{}`)) {
		return "", fmt.Errorf("ping: status %d: %.300s", resp.StatusCode, raw)
	}
	return id, nil
}

// rssMiB is process pid's resident set (VmRSS) in MiB.
func rssMiB(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
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
