package e2etest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StopTimeout bounds a process's graceful stop before it is killed.
const StopTimeout = 15 * time.Second

// BuildBinaries builds the packages (binary name -> package path, relative
// to the module root root) into a new temporary directory and returns it;
// the caller removes it.
func BuildBinaries(root string, pkgs map[string]string) (string, error) {
	dir, err := os.MkdirTemp("", "tracegate-e2e-bin-")
	if err != nil {
		return "", err
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, pkg := range pkgs {
		args = append(args, pkg)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return dir, nil
}

// Proc is a process started by a test; its output goes to a log file.
type Proc struct {
	Name string
	Log  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's result, once done is closed
}

// StartProc starts bin (a path) with args and env, output to
// logDir/name.log. It is stopped by PID (SIGTERM, then SIGKILL) when the
// test ends, if it is still running.
func StartProc(t testing.TB, logDir, name string, env []string, bin string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Name: name, Log: filepath.Join(logDir, name+".log"), done: make(chan struct{})}
	f, err := os.Create(p.Log)
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
	t.Cleanup(func() { p.Stop(t) })
	return p
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Stop sends SIGTERM and waits; a process still running after StopTimeout
// is killed, which fails the test.
func (p *Proc) Stop(t testing.TB) {
	t.Helper()
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(StopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s (pid %d) ignored SIGTERM for %s; killed", p.Name, p.cmd.Process.Pid, StopTimeout)
	}
}

// Wait waits for the process to exit and returns its exit status (-1 on
// timeout, after killing it).
func (p *Proc) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not exit within %s; killed", p.Name, timeout)
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

// Exited tells whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Output is what the process has written so far.
func (p *Proc) Output() string {
	b, _ := os.ReadFile(p.Log)
	return string(b)
}

// Tail is the last n lines of the output, for failure messages.
func (p *Proc) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(p.Output(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return p.Name + ":\n  " + strings.Join(lines, "\n  ")
}

// WaitUntil polls cond every 100 ms until it holds; it fails the test when
// timeout passes or p (if not nil) exits first.
func WaitUntil(t testing.TB, what string, timeout time.Duration, p *Proc, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if p != nil && p.Exited() {
			t.Fatalf("%s exited while waiting for %s:\n%s", p.Name, what, p.Tail(30))
		}
		if time.Now().After(deadline) {
			msg := ""
			if p != nil {
				msg = p.Tail(30)
			}
			t.Fatalf("%s not ready after %s\n%s", what, timeout, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Listening tells whether something accepts connections on 127.0.0.1:port.
func Listening(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// HTTPOK tells whether GET url answers 200 (with client).
func HTTPOK(client *http.Client, url string) bool {
	rsp, err := client.Get(url)
	if err != nil {
		return false
	}
	rsp.Body.Close()
	return rsp.StatusCode == http.StatusOK
}

// CleanEnv is the test's environment without the variables that configure
// the processes (OTEL_*, MICRO_*, TRACEGATE_* but TRACEGATE_CACHE, AUTH*,
// AGENT_*, DEMO_*, JAEGER_*, MCP_*), plus extra.
func CleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "TRACEGATE_CACHE" { // where scripts/jaeger.sh keeps its build
			env = append(env, kv)
			continue
		}
		drop := false
		for _, prefix := range []string{"OTEL_", "MICRO_", "TRACEGATE_", "AUTH", "AGENT_", "DEMO_", "JAEGER_", "MCP_"} {
			drop = drop || strings.HasPrefix(k, prefix)
		}
		if !drop {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// SyncBuffer is a bytes.Buffer that a process (or an in-process command)
// writes while a test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
