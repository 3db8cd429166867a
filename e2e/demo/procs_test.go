//go:build e2e

package demo_test

import (
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stopTimeout bounds a process's graceful stop before it is killed.
const stopTimeout = 15 * time.Second

// proc is a process started by a test; its output goes to a log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // Wait's result, once done is closed
}

// startProc starts binDir/bin (or an absolute path) with args and env,
// output to logDir/name.log. It is stopped by PID (SIGTERM, then SIGKILL)
// when the test ends, if it is still running.
func startProc(t *testing.T, logDir, name string, env []string, bin string, args ...string) *proc {
	t.Helper()
	if !filepath.IsAbs(bin) {
		bin = filepath.Join(binDir, bin)
	}
	p := &proc{name: name, log: filepath.Join(logDir, name+".log"), done: make(chan struct{})}
	f, err := os.Create(p.log)
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
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop sends SIGTERM and waits; a process still running after stopTimeout
// is killed, which fails the test.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s (pid %d) ignored SIGTERM for %s; killed", p.name, p.cmd.Process.Pid, stopTimeout)
	}
}

// wait waits for the process to exit and returns its exit status (-1 on
// timeout, after killing it).
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not exit within %s; killed", p.name, timeout)
		return -1
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		return -1
	}
	return 0
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// output is what the process has written so far.
func (p *proc) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// tail is the last n lines of the output, for failure messages.
func (p *proc) tail(n int) string {
	lines := strings.Split(strings.TrimRight(p.output(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return p.name + ":\n  " + strings.Join(lines, "\n  ")
}

// waitUntil polls cond every 100 ms until it holds; it fails the test when
// timeout passes or p (if not nil) exits first.
func waitUntil(t *testing.T, what string, timeout time.Duration, p *proc, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if p != nil && p.exited() {
			t.Fatalf("%s exited while waiting for %s:\n%s", p.name, what, p.tail(30))
		}
		if time.Now().After(deadline) {
			msg := ""
			if p != nil {
				msg = p.tail(30)
			}
			t.Fatalf("%s not ready after %s\n%s", what, timeout, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// listening tells whether something accepts connections on 127.0.0.1:port.
func listening(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// httpClient is the tests' HTTP client; its idle connections are closed
// at the end of each test (goleak).
var httpClient = &http.Client{Timeout: 5 * time.Second}

// httpOK tells whether GET url answers 200.
func httpOK(url string) bool {
	rsp, err := httpClient.Get(url)
	if err != nil {
		return false
	}
	rsp.Body.Close()
	return rsp.StatusCode == http.StatusOK
}

// cleanEnv is the test's environment without the variables that configure
// the processes (OTEL_*, MICRO_*, TRACEGATE_* but TRACEGATE_CACHE, AUTH*,
// AGENT_*, DEMO_*, JAEGER_*, MCP_*), plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		if k == "TRACEGATE_CACHE" { // where scripts/jaeger.sh keeps its build
			env = append(env, kv)
			continue
		}
		for _, prefix := range []string{"OTEL_", "MICRO_", "TRACEGATE_", "AUTH", "AGENT_", "DEMO_", "JAEGER_", "MCP_"} {
			drop = drop || strings.HasPrefix(k, prefix)
		}
		if !drop {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}
