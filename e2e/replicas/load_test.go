//go:build e2e

package replicas_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// call is one user message the test sent: a tools/call in a trace of its
// own, and what the client saw.
type call struct {
	TraceID string `json:"traceId"`
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Start   int64  `json:"start"` // ms since the epoch
	End     int64  `json:"end"`
}

// modernLoad runs raw 2026-07-28 tools/call requests through the balancer
// from workers callers, one after another, until stop is closed.
type modernLoad struct {
	mu    sync.Mutex
	calls []call
	ok    atomic.Int64
	wg    sync.WaitGroup
	stop  chan struct{}
}

func startModernLoad(t *testing.T, s *stack, workers int) *modernLoad {
	t.Helper()
	l := &modernLoad{stop: make(chan struct{})}
	hc := &http.Client{Timeout: 10 * time.Second}
	for w := range workers {
		c := &client{url: s.lb.url, token: s.token(t, fmt.Sprintf("agent-%d", w)), hc: hc}
		l.wg.Go(func() {
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				traceID, tp := newTrace()
				start := time.Now()
				r := c.modern(t, "tools/call", "users.Users.List", map[string]any{}, tp)
				rec := call{TraceID: traceID, OK: r.ok(), Start: start.UnixMilli(), End: time.Now().UnixMilli()}
				if !rec.OK {
					rec.Error = fmt.Sprintf("status %d code %d err %v: %.200s", r.status, r.code, r.err, r.body)
				}
				l.mu.Lock()
				l.calls = append(l.calls, rec)
				l.mu.Unlock()
				if rec.OK {
					l.ok.Add(1)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	t.Cleanup(l.finish)
	return l
}

// waitMore waits until n more calls succeeded than when it was called.
func (l *modernLoad) waitMore(t *testing.T, n int64) {
	t.Helper()
	want := l.ok.Load() + n
	if !waitFor(2*time.Minute, func() bool { return l.ok.Load() >= want }) {
		t.Fatalf("2026-07-28 calls stalled at %d successes (waiting for %d)", l.ok.Load(), want)
	}
}

func (l *modernLoad) finish() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

func (l *modernLoad) all() []call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]call(nil), l.calls...)
}

// tsReport is client.mjs's report.
type tsReport struct {
	ProtocolVersion string   `json:"protocolVersion"`
	Sessions        []string `json:"sessions"`
	FinalSession    string   `json:"finalSession"`
	Initializes     int      `json:"initializes"`
	Calls           []call   `json:"calls"`
	StreamErrors    int      `json:"streamErrors"`
	Deleted         bool     `json:"deleted"`
	Error           string   `json:"error"`
}

// tsClient is client.mjs running on Node with the official SDK.
type tsClient struct {
	cmd      *exec.Cmd
	out      bytes.Buffer
	calls    atomic.Int64 // progress
	stopFile string
	done     chan error
}

// installSDK returns the directory of the pinned MCP TypeScript SDK (the
// one e2e/tsclient uses, installed by scripts/tsclient.sh, which make deps
// runs) and the Node 22 binary.
func installSDK(t *testing.T) (dir, node string) {
	t.Helper()
	install := exec.Command(filepath.Join(root, "scripts", "tsclient.sh"), "dir")
	install.Dir = root
	var stderr bytes.Buffer
	install.Stderr = &stderr
	out, err := install.Output()
	if err != nil {
		t.Fatalf("install the TypeScript SDK: %v\n%s", err, stderr.String())
	}
	dir = strings.TrimSpace(string(out))
	nodeCmd := exec.Command(filepath.Join(root, "scripts", "node.sh"), "node")
	nodeCmd.Stderr = &stderr
	out, err = nodeCmd.Output()
	if err != nil {
		t.Fatalf("scripts/node.sh node: %v\n%s", err, stderr.String())
	}
	return dir, strings.TrimSpace(string(out))
}

func startTSClient(t *testing.T, s *stack, subject string) *tsClient {
	t.Helper()
	dir, node := installSDK(t)
	// ES modules resolve packages from the script's own folder: run a copy
	// in the install directory.
	src, err := os.ReadFile(filepath.Join(root, "e2e", "replicas", "client.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "client.mjs")
	if err := os.WriteFile(script, src, 0o644); err != nil {
		t.Fatal(err)
	}
	c := &tsClient{stopFile: filepath.Join(s.dir, "ts.stop"), done: make(chan error, 1)}
	args, _ := json.Marshal(map[string]any{"url": s.lb.url, "token": s.token(t, subject), "tool": "users.Users.List",
		"stopFile": c.stopFile, "pauseMs": 20, "timeoutMs": 10000})
	c.cmd = exec.Command(node, script, string(args))
	c.cmd.Stdout = &c.out
	progress, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(progress)
		for sc.Scan() {
			var n int64
			if _, err := fmt.Sscanf(sc.Text(), "calls %d", &n); err == nil {
				c.calls.Store(n)
			}
		}
		c.done <- c.cmd.Wait()
	}()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

// finish stops the client's loop and returns its report.
func (c *tsClient) finish(t *testing.T) tsReport {
	t.Helper()
	if err := os.WriteFile(c.stopFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.done:
		if err != nil {
			t.Fatalf("client.mjs: %v\n%s", err, c.out.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("client.mjs did not stop")
	}
	var r tsReport
	if err := json.Unmarshal(c.out.Bytes(), &r); err != nil {
		t.Fatalf("client.mjs report: %v\n%s", err, c.out.String())
	}
	return r
}
