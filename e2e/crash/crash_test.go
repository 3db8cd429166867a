//go:build e2e

package crash_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	"syscall"
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

// gateway is one `tracegate serve` process.
type gateway struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	url    string
	done   chan error
}

// startGateway starts `tracegate serve` in strict audit mode on logPath.
func startGateway(t *testing.T, bin, regURL, logPath, keyFile, macFile string) *gateway {
	t.Helper()
	addr := freePort(t)
	g := &gateway{stderr: &bytes.Buffer{}, url: "http://" + addr + "/mcp", done: make(chan error, 1)}
	g.cmd = exec.Command(bin, "serve", "--addr", addr, "--registry", "nats", "--registry_address", regURL, "--anonymous",
		"--audit-file", logPath, "--audit-mode", "strict", "--audit-key", keyFile, "--audit-mac-key", macFile)
	g.cmd.Stderr = g.stderr
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.done <- g.cmd.Wait() }()
	t.Cleanup(func() {
		_ = g.cmd.Process.Kill()
		<-g.done
	})
	return g
}

// serving waits until the gateway answers a call; false if it exited.
func (g *gateway) serving(t *testing.T, hc *http.Client) bool {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !call(hc, g.url, "warmup") {
		select {
		case err := <-g.done:
			g.done <- err
			return false
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway never served users.Users.List; stderr:\n%s", g.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// exited waits for the process to end and returns its exit code.
func (g *gateway) exited(t *testing.T) int {
	t.Helper()
	select {
	case err := <-g.done:
		g.done <- err
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatalf("gateway did not exit; stderr:\n%s", g.stderr.String())
		return -1
	}
}

func TestStrictAuditSurvivesSIGKILL(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_LOGS_EXPORTER", "none")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	t.Setenv(audit.EnvMACKey, "")
	dir := t.TempDir()
	bin := build(t, dir)

	url, reg := microkittest.NATSRegistry(t)
	p, _ := e2etest.Providers(t, users.Name)
	e2etest.StartService(t, users.New, reg, p)

	keyFile, macFile := filepath.Join(dir, "audit-key.pem"), filepath.Join(dir, "audit.mac")
	if out, err := exec.Command(bin, "keygen", "--out", keyFile, "--mac-out", macFile).CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v %s", err, out)
	}
	pub, err := audit.LoadPublicKey(strings.TrimSuffix(keyFile, ".pem") + ".pub.pem")
	if err != nil {
		t.Fatal(err)
	}
	mac, err := audit.LoadMACKey(macFile)
	if err != nil {
		t.Fatal(err)
	}
	trust := audit.VerifyConfig{PublicKey: pub, MACKey: mac}
	logPath := filepath.Join(dir, "audit", "audit.jsonl")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	gw := startGateway(t, bin, url, logPath, keyFile, macFile)
	hc := &http.Client{Timeout: 5 * time.Second}
	if !gw.serving(t, hc) {
		t.Fatalf("gateway exited; stderr:\n%s", gw.stderr.String())
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
				if call(hc, gw.url, id) {
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
	if err := gw.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	gw.exited(t)
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

	// The chain verifies: the records after the last checkpoint by their
	// MACs, a torn last line as a crash (exit 3), not tampering.
	report, err := audit.VerifyFiles(context.Background(), trust, files...)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if (report.Status != audit.StatusTorn && report.Status != audit.StatusIntactTail && report.Status != audit.StatusIntact) ||
		report.Unverified != 0 {
		t.Fatalf("chain after SIGKILL: %s %v", report.Result, report.Findings)
	}
	var out bytes.Buffer
	code := audit.RunVerify(&out, audit.VerifyOptions{PublicKey: pub, MACKey: mac}, files)
	if code != audit.ExitIntact && code != audit.ExitTorn {
		t.Fatalf("audit verify exit %d:\n%s", code, out.String())
	}
	t.Logf("%d answered calls, %d records, %d files, verify: %s", len(ok), len(recorded), len(files), report.Result)

	// kill -9, edit, restart: a copy whose last record was rewritten (and
	// re-hashed) is refused by the restarted gateway.
	forged := filepath.Join(dir, "forged", "audit.jsonl")
	forgeLastRecord(t, logPath, forged)
	bad := startGateway(t, bin, url, forged, keyFile, macFile)
	if code := bad.exited(t); code == 0 || !strings.Contains(bad.stderr.String(), "refusing to adopt them") {
		t.Fatalf("gateway on a forged tail: exit %d\n%s", code, bad.stderr.String())
	}

	// kill -9, restart, stop: the restarted gateway adopts the verified
	// tail, writes a signed recovery record, and stops cleanly.
	again := startGateway(t, bin, url, logPath, keyFile, macFile)
	if !again.serving(t, hc) {
		t.Fatalf("restart failed:\n%s", again.stderr.String())
	}
	if err := again.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := again.exited(t); code != 0 {
		t.Fatalf("clean stop: exit %d\n%s", code, again.stderr.String())
	}
	files, _ = audit.Segments(logPath)
	out.Reset()
	code = audit.RunVerify(&out, audit.VerifyOptions{PublicKey: pub, MACKey: mac}, []string{logPath})
	if code != audit.ExitIntact || !strings.Contains(out.String(), "recovered after a crash at record") {
		t.Fatalf("after restart and stop: exit %d\n%s", code, out.String())
	}
	t.Logf("after restart: %d files\n%s", len(files), out.String())
}

// forgeLastRecord copies the log at src to dst and rewrites its last
// complete record as an attacker without the MAC key can: outcome changed,
// public hash recomputed.
func forgeLastRecord(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	segs, err := audit.Segments(src)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range segs {
		data, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		if i == len(segs)-1 {
			data = forgeLast(t, data)
		}
		if err := os.WriteFile(filepath.Join(filepath.Dir(dst), filepath.Base(s)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func forgeLast(t *testing.T, data []byte) []byte {
	t.Helper()
	lines := strings.SplitAfter(string(data), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		if strings.HasPrefix(l, `{"type":"checkpoint"`) {
			break
		}
		if !strings.HasPrefix(l, `{"type":"record"`) || !strings.HasSuffix(l, "\n") || !strings.Contains(l, `"outcome":"ok"`) {
			continue
		}
		l = strings.Replace(l, `"outcome":"ok"`, `"outcome":"tool_error"`, 1)
		h := l[strings.LastIndex(l, `"hash":"`)+len(`"hash":"`):]
		h = h[:strings.IndexByte(h, '"')]
		blank := strings.Replace(l, `"hash":"`+h+`"`, `"hash":""`, 1)
		sum := sha256.Sum256([]byte(strings.TrimSuffix(blank, "\n")))
		lines[i] = strings.Replace(blank, `"hash":""`, `"hash":"`+hex.EncodeToString(sum[:])+`"`, 1)
		return []byte(strings.Join(lines, ""))
	}
	t.Fatal("no outcome record after the last checkpoint to forge (killed right after a checkpoint)")
	return nil
}
