//go:build e2e

package replicas_test

import (
	"bufio"
	"encoding/csv"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// proc is a process the test started; its output goes to a log file. It is
// stopped by PID when the test ends if it still runs.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // Wait's result once done is closed
}

func startProc(t *testing.T, dir, name string, env []string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// exitCode waits for the process to end (SIGTERM is expected to end it
// within timeout) and returns its exit code; -1 for a signal.
func (p *proc) exitCode(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %s; its log:\n%s", p.name, timeout, p.tail())
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("%s: %v", p.name, p.err)
	return -1
}

func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %s: %v", p.name, err)
	}
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// tail is the end of the process's log, for failure messages.
func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitFor polls cond every 50ms until it holds; false after timeout.
func waitFor(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// ready tells whether url answers 200.
func ready(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// balancer is HAProxy started from the Debian package with the repo's
// docker/haproxy.cfg (the one compose uses) plus a stats listener.
type balancer struct {
	*proc
	url   string // the MCP endpoint
	stats string // the CSV stats URL
}

// haproxyBin finds the haproxy binary (scripts/deps.sh installs it).
func haproxyBin(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"haproxy", "/usr/sbin/haproxy"} {
		if bin, err := exec.LookPath(p); err == nil {
			return bin
		}
	}
	t.Fatal("haproxy not found: install it (scripts/deps.sh installs the Debian package)")
	return ""
}

func startBalancer(t *testing.T, dir, addr string, replicas []string) *balancer {
	t.Helper()
	statsAddr := freeAddr(t)
	extra := filepath.Join(dir, "stats.cfg")
	if err := os.WriteFile(extra, []byte("frontend stats\n  bind "+statsAddr+"\n  stats enable\n  stats uri /stats\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TRACEGATE_LB_BIND="+addr)
	for i, r := range replicas {
		env = append(env, "TRACEGATE_GW"+string(rune('1'+i))+"="+r)
	}
	p := startProc(t, dir, "haproxy", env, haproxyBin(t), "-db", "-f", filepath.Join(root, "docker", "haproxy.cfg"), "-f", extra)
	return &balancer{proc: p, url: "http://" + addr + "/mcp", stats: "http://" + statsAddr + "/stats;csv"}
}

// servers returns each backend server's status (UP, DOWN, …) and total
// sessions served, from HAProxy's CSV stats.
func (b *balancer) servers(t *testing.T) (status map[string]string, served map[string]int) {
	t.Helper()
	status, served = map[string]string{}, map[string]int{}
	resp, err := http.Get(b.stats)
	if err != nil {
		return status, served
	}
	defer resp.Body.Close()
	r := csv.NewReader(bufio.NewReader(resp.Body))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		return status, served
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimPrefix(strings.TrimSpace(h), "# ")] = i
	}
	for _, row := range rows[1:] {
		if row[col["pxname"]] != "gateways" || row[col["svname"]] == "BACKEND" || row[col["svname"]] == "FRONTEND" {
			continue
		}
		name := row[col["svname"]]
		status[name] = row[col["status"]]
		n := 0
		for _, c := range row[col["stot"]] {
			n = n*10 + int(c-'0')
		}
		served[name] = n
	}
	return status, served
}

// waitStatus waits until HAProxy reports the servers in want.
func (b *balancer) waitStatus(t *testing.T, want map[string]string) {
	t.Helper()
	var got map[string]string
	if !waitFor(30*time.Second, func() bool {
		got, _ = b.servers(t)
		for s, st := range want {
			if !strings.HasPrefix(got[s], st) {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("HAProxy servers %v, want %v; its log:\n%s", got, want, b.tail())
	}
}
