package scripts_test

import (
	"bytes"
	"context"
	"errors"
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

// TestDemoWiring runs demo.sh to the end with stand-in binaries, on a cold
// cache, with the local Jaeger build and with the official image, and checks
// what it wires and prints: the audit chain keyed with a MAC key made once
// (keygen --mac-out, serve --audit-mac-key) and the verify command with both
// keys and Jaeger as the witness; trace links to Jaeger's API when its UI is
// the local build's placeholder (the agent's --jaeger-ui, serve's
// --console-jaeger-ui-url, audit search's --jaeger-ui) and to the UI
// otherwise, said in the output; how to stop it; and that SIGTERM stops
// every process it started. A second run keeps the MAC key; a log written
// without one is moved aside.
func TestDemoWiring(t *testing.T) {
	for _, tc := range []struct {
		name   string
		engine bool
	}{{"local build", false}, {"official image", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t, "go", "docker")
			state := t.TempDir()
			extra := map[string]string{"DEMO_STATE_DIR": state, "DEMO_BIN_DIR": t.TempDir()}
			for _, k := range []string{"DEMO_GATEWAY_PORT", "DEMO_AUTH_PORT", "DEMO_NATS_PORT", "JAEGER_QUERY_PORT",
				"JAEGER_OTLP_GRPC_PORT", "JAEGER_OTLP_HTTP_PORT", "JAEGER_QUERY_GRPC_PORT", "JAEGER_HEALTH_PORT"} {
				extra[k] = strconv.Itoa(freePort(t))
			}
			if tc.engine {
				extra["STANDIN_DOCKER_ENGINE"] = "1"
			}
			jaeger := "http://127.0.0.1:" + extra["JAEGER_QUERY_PORT"]
			console := "http://127.0.0.1:" + extra["DEMO_GATEWAY_PORT"] + "/console"
			const traceID = "4bf92f3577b34da6a3ce929d0e0e4736" // what the stand-in agent prints
			ui, link := jaeger, jaeger+"/trace/"+traceID
			if !tc.engine {
				ui, link = jaeger+"/api/v3/traces/{trace_id}", jaeger+"/api/v3/traces/"+traceID
			}
			// An audit log an older demo wrote without a MAC key.
			if err := os.WriteFile(filepath.Join(state, "audit.jsonl"), []byte("{}\n"), 0o644); err != nil {
				t.Fatal(err)
			}

			r := s.runDemo(t, extra, state)
			if r.code != 0 {
				t.Fatalf("want exit 0 on SIGTERM; %s", r)
			}
			mac := filepath.Join(state, "audit.mac")
			if calls := s.callsWith("tracegate keygen --mac-out " + mac); calls != 1 {
				t.Errorf("keygen --mac-out %s ran %d times, want once", mac, calls)
			}
			if moved, _ := filepath.Glob(filepath.Join(state, "unkeyed-audit-*", "audit.jsonl")); len(moved) != 1 {
				t.Errorf("the unkeyed audit log was not moved aside: %v; %s", moved, r)
			}
			for _, want := range []string{
				"tracegate serve ", "--audit-mac-key " + mac, "--console-jaeger-url " + jaeger + " --console-jaeger-ui-url " + ui,
			} {
				if s.callsWith(want) != 1 {
					t.Errorf("serve was not started with %q:\n%s", want, s.allCalls())
				}
			}
			if s.callsWith("agent --gateway ") != 1 || s.callsWith("--jaeger "+jaeger+" --jaeger-ui "+ui) != 1 {
				t.Errorf("the agent was not run with --jaeger-ui %s:\n%s", ui, s.allCalls())
			}
			verify := "tracegate audit verify --key " + filepath.Join(state, "audit-key.pub.pem") + " --mac-key " + mac +
				" \\\n      --witness " + jaeger + " " + filepath.Join(state, "audit.jsonl")
			want := []string{verify, "the trace       " + link, "kill -TERM ", "make passes SIGTERM on, not SIGINT"}
			if tc.engine {
				want = append(want, "Jaeger UI       "+jaeger+"   (trace links go to it)")
				if strings.Contains(r.stdout, "--jaeger-ui") || strings.Contains(r.stdout, "/api/v3/") {
					t.Errorf("with the UI, links go elsewhere:\n%s", r.stdout)
				}
			} else {
				want = append(want, "the local Jaeger build has NO UI", "trace links     to Jaeger's API",
					"audit search --jaeger "+jaeger+" --jaeger-ui '"+ui+"' --decision deny",
					"--jaeger "+jaeger+" --jaeger-ui '"+ui+"' \\\n",
					"as a span tree in the console: "+console+"/message?q="+traceID)
				if strings.Contains(r.stdout, "Jaeger UI ") {
					t.Errorf("a Jaeger UI is offered with the local build:\n%s", r.stdout)
				}
				if !strings.Contains(r.stderr, "trace links go to Jaeger's API: "+ui) {
					t.Errorf("the start does not say where trace links go:\n%s", r.stderr)
				}
			}
			for _, w := range want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("the summary lacks %q:\n%s", w, r.stdout)
				}
			}

			// A second run keeps the key and the (keyed) log.
			keyed := filepath.Join(state, "audit.jsonl")
			if err := os.WriteFile(keyed, []byte("{}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := s.runDemo(t, extra, state); r.code != 0 {
				t.Fatalf("second run: %s", r)
			}
			if calls := s.callsWith("tracegate keygen --mac-out"); calls != 1 {
				t.Errorf("the second run made a new MAC key (%d keygen --mac-out in all)", calls)
			}
			if _, err := os.Stat(keyed); err != nil {
				t.Errorf("the second run moved the keyed log: %v", err)
			}
		})
	}
}

// runDemo runs demo.sh until it says it is ready, sends it SIGTERM and
// checks that every process it listed in its pids file is gone.
func (s *sandbox) runDemo(t *testing.T, extra map[string]string, state string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := s.command(ctx, "demo.sh", extra)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	var stdout bytes.Buffer
	stderr := &watchBuffer{want: "demo: ready", seen: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer killListed(t, state)
	var err error
	select {
	case <-stderr.seen:
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		err = <-done
	case err = <-done:
		t.Errorf("demo.sh exited before it was ready")
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("demo.sh: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("demo.sh did not finish within %s:\n%s", scriptTimeout, r)
	}
	for name, pid := range listed(t, state) {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("%s (pid %d) still runs after demo.sh stopped", name, pid)
		}
	}
	for _, p := range startedFor(state) {
		t.Errorf("pid %d (%s), started by demo.sh, still runs after it stopped", p.pid, p.cmdline)
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
	return r
}

type proc struct {
	pid     int
	cmdline string
}

// startedFor lists the live processes whose environment holds
// DEMO_STATE_DIR=state: what demo.sh started, listed in its pids file or not
// (its idle sleep once outlived it).
func startedFor(state string) []proc {
	var out []proc
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !bytes.Contains(append([]byte{0}, env...), []byte("\x00DEMO_STATE_DIR="+state+"\x00")) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		cmd, _ := os.ReadFile(filepath.Join(d, "cmdline"))
		out = append(out, proc{pid, strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))})
	}
	return out
}

// listed reads demo.sh's pids file: "name pid" per line.
func listed(t *testing.T, state string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(state, "pids"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for line := range strings.Lines(string(b)) {
		name, pid, _ := strings.Cut(strings.TrimSpace(line), " ")
		if n, err := strconv.Atoi(pid); err == nil {
			out[name] = n
		}
	}
	return out
}

// killListed kills, by PID, what demo.sh listed and left running (a failed
// test must not leave processes behind).
func killListed(t *testing.T, state string) {
	b, _ := os.ReadFile(filepath.Join(state, "pids"))
	for line := range strings.Lines(string(b)) {
		_, pid, _ := strings.Cut(strings.TrimSpace(line), " ")
		if n, err := strconv.Atoi(pid); err == nil && syscall.Kill(n, 0) == nil {
			t.Logf("killing leftover pid %d (%s)", n, strings.TrimSpace(line))
			_ = syscall.Kill(n, syscall.SIGKILL)
		}
	}
}

// watchBuffer keeps what is written and closes seen once it holds want.
type watchBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *watchBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

func (w *watchBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// callsWith counts the stand-in invocations whose line contains s.
func (s *sandbox) callsWith(sub string) int {
	return strings.Count(s.allCalls(), sub)
}

// allCalls is every stand-in invocation so far, one per line.
func (s *sandbox) allCalls() string {
	b, err := os.ReadFile(s.calls)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.t.Fatal(err)
	}
	return string(b)
}
