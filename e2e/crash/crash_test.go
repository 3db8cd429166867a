//go:build e2e

package crash_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/internal/e2etest"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

func TestMain(m *testing.M) { microkittest.VerifyTestMain(m) }

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// build compiles cmd/tracegate into dir.
func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "tracegate")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/tracegate/tracegate/cmd/tracegate")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// callBody is a stateless tools/call of users.Users.List with id.
func callBody(id string) string {
	return `{"jsonrpc":"2.0","id":"` + id + `","method":"tools/call","params":{"_meta":{` +
		`"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"load","version":"1"},` +
		`"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"name":"users.Users.List","arguments":{}}}`
}

// call returns whether the gateway answered id with a successful result.
func call(hc *http.Client, url, id string) bool {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(callBody(id)))
	for k, v := range map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
		"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "users.Users.List"} {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return err == nil && resp.StatusCode == 200 && bytes.Contains(b, []byte(`"result"`)) && !bytes.Contains(b, []byte(`"isError":true`))
}

func TestStrictAuditSurvivesSIGKILL(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_LOGS_EXPORTER", "none")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	dir := t.TempDir()
	bin := build(t, dir)

	url, reg := microkittest.NATSRegistry(t)
	p, _ := e2etest.Providers(t, users.Name)
	e2etest.StartService(t, users.New, reg, p)

	keyFile := filepath.Join(dir, "audit-key.pem")
	if out, err := exec.Command(bin, "keygen", "--out", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v %s", err, out)
	}
	logPath := filepath.Join(dir, "audit", "audit.jsonl")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	var stderr bytes.Buffer
	gw := exec.Command(bin, "serve", "--addr", addr, "--registry", "nats", "--registry_address", url, "--anonymous",
		"--audit-file", logPath, "--audit-mode", "strict", "--audit-key", keyFile)
	gw.Stderr = &stderr
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = gw.Process.Kill()
			_ = gw.Wait()
		}
	})
	mcpURL := "http://" + addr + "/mcp"
	hc := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for !call(hc, mcpURL, "warmup") {
		if time.Now().After(deadline) {
			t.Fatalf("gateway never served users.Users.List; stderr:\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Concurrent load; SIGKILL once enough calls succeeded.
	var mu sync.Mutex
	var ok []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, n)
				if call(hc, mcpURL, id) {
					mu.Lock()
					ok = append(ok, id)
					mu.Unlock()
				}
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		mu.Lock()
		n := len(ok)
		mu.Unlock()
		if n >= 200 || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := gw.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	killed = true
	_ = gw.Wait()
	close(stop)
	wg.Wait()
	hc.CloseIdleConnections()
	if len(ok) < 20 {
		t.Fatalf("only %d calls succeeded before the kill", len(ok))
	}

	// Every answered call has its outcome record.
	files, err := audit.Segments(logPath)
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct {
				Type      string `json:"type"`
				Kind      string `json:"kind"`
				Phase     string `json:"phase"`
				JSONRPCID string `json:"jsonrpc_id"`
			}
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue // the incomplete last line of a crash
			}
			if line.Type == "record" && line.Kind == "call" && line.Phase == "outcome" {
				recorded[line.JSONRPCID] = true
			}
		}
	}
	missing := 0
	for _, id := range ok {
		if !recorded[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d answered calls have no audit record", missing, len(ok))
	}

	// The chain verifies; a torn last line is reported as truncation.
	pub, err := audit.LoadPublicKey(strings.TrimSuffix(keyFile, ".pem") + ".pub.pem")
	if err != nil {
		t.Fatal(err)
	}
	report, err := audit.Verify(pub, files...)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if report.First != nil && report.First.Kind != audit.Truncated {
		t.Fatalf("chain broken after SIGKILL: %+v", *report.First)
	}
	var out bytes.Buffer
	code := audit.RunVerify(&out, audit.VerifyOptions{PublicKey: pub}, files)
	if code != audit.ExitIntact && code != audit.ExitTruncated {
		t.Fatalf("audit verify exit %d:\n%s", code, out.String())
	}
	t.Logf("%d answered calls, %d records, %d files, verify exit %d", len(ok), len(recorded), len(files), code)
}
