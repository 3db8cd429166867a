//go:build e2e

package demo_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracegate/tracegate/internal/jaegertest"
)

// TestDemoScriptStopsEverythingOnSIGTERM runs scripts/demo.sh (what `make
// demo` runs) on free ports with a Jaeger of its own, waits until it is
// ready (the agent has run), sends SIGTERM and expects exit status 0 and
// every process it started, listed in its pids file, gone. A docker CLI
// without an engine is on its PATH: demo.sh falls back to the local Jaeger
// build and says plainly that it has no UI, with the trace tree printed and
// the tracegate console named instead.
func TestDemoScriptStopsEverythingOnSIGTERM(t *testing.T) {
	jaegertest.FromEnv(t) // the suite runs under scripts/jaeger.sh, which built the Jaeger binary
	state := t.TempDir()
	ports := map[string]int{}
	for _, k := range []string{"DEMO_GATEWAY_PORT", "DEMO_AUTH_PORT", "DEMO_NATS_PORT", "JAEGER_QUERY_PORT",
		"JAEGER_OTLP_GRPC_PORT", "JAEGER_OTLP_HTTP_PORT", "JAEGER_QUERY_GRPC_PORT", "JAEGER_HEALTH_PORT"} {
		ports[k] = freePort(t)
	}
	env := withPath(cleanEnv("DEMO_STATE_DIR="+state, "DEMO_BIN_DIR="+binDir), noEngineDocker(t))
	for k, p := range ports {
		env = append(env, k+"="+strconv.Itoa(p))
	}
	t.Cleanup(func() { killLeftovers(state) }) // runs after startProc's cleanup stopped demo.sh
	start := time.Now()
	demo := startProc(t, t.TempDir(), "demo.sh", env, filepath.Join(root, "scripts", "demo.sh"))
	waitUntil(t, "demo.sh", 4*time.Minute, demo, func() bool { return strings.Contains(demo.output(), "demo: ready") })
	t.Logf("demo.sh ready after %s", time.Since(start).Round(time.Millisecond))
	out := demo.output()
	if !strings.Contains(out, "tracegate demo: ready (agent: exit 0)") {
		t.Errorf("the agent did not succeed under demo.sh:\n%s", demo.tail(60))
	}
	console := fmt.Sprintf("http://127.0.0.1:%d/console", ports["DEMO_GATEWAY_PORT"])
	for _, want := range []string{"no Docker engine answers", "the local Jaeger build has NO UI", "The trace tree is printed above",
		console} {
		if !strings.Contains(out, want) {
			t.Errorf("demo.sh output lacks %q:\n%s", want, demo.tail(80))
		}
	}
	if !treeRE.MatchString(out) {
		t.Errorf("demo.sh output has no trace tree from Jaeger:\n%s", demo.tail(80))
	}
	if strings.Contains(out, "Jaeger UI ") {
		t.Errorf("demo.sh offers a Jaeger UI the local build does not have:\n%s", demo.tail(40))
	}
	// The links it prints work (Jaeger's API for the local build, not the
	// placeholder UI), and so does the audit verify command, with the MAC key
	// and Jaeger as the witness.
	links := regexp.MustCompile(`(?m)^(?:jaeger:|  the trace)\s+(http://\S+)$`).FindAllStringSubmatch(out, -1)
	if len(links) != 2 {
		t.Errorf("want the agent's jaeger: line and the summary's trace link, have %v:\n%s", links, demo.tail(80))
	}
	for _, l := range links {
		if !strings.Contains(l[1], "/api/v3/traces/") {
			t.Errorf("link %s is not Jaeger's API", l[1])
		} else if resp, err := http.Get(l[1]); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %v %v", l[1], err, resp)
		} else {
			resp.Body.Close()
		}
	}
	verify := regexp.MustCompile(`(\S+/tracegate) audit verify (--key \S+ --mac-key \S+) \\\n\s+(--witness \S+ \S+)\n`).FindStringSubmatch(out)
	if verify == nil {
		t.Errorf("no audit verify command with --key, --mac-key and --witness:\n%s", demo.tail(40))
	} else {
		args := append([]string{"audit", "verify"}, strings.Fields(verify[2]+" "+verify[3])...)
		v := startProc(t, t.TempDir(), "audit-verify", cleanEnv(), verify[1], args...)
		if code := v.wait(t, 30*time.Second); code != 0 || !strings.Contains(v.output(), "OK, intact") {
			t.Errorf("%s %v: exit %d\n%s", verify[1], args, code, v.tail(10))
		}
	}
	pids := readPids(t, state)
	for _, name := range []string{"devregistry", "jaeger", "jaeger-binary", "authserver", "gateway", "users", "posts", "comments"} {
		if pid, ok := pids[name]; !ok || syscall.Kill(pid, 0) != nil {
			t.Errorf("%s not running (pid %d, listed %v)", name, pid, ok)
		}
	}

	stopped := time.Now()
	if err := demo.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := demo.wait(t, time.Minute); code != 0 {
		t.Errorf("demo.sh exited %d on SIGTERM, want 0:\n%s", code, demo.tail(20))
	}
	t.Logf("demo.sh stopped after %s", time.Since(stopped).Round(time.Millisecond))
	for name, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (pid %d) still exists after demo.sh exited (kill -0: %v)", name, pid, err)
		}
	}
	for k, p := range ports {
		if listening(p) {
			t.Errorf("%s %d still accepts connections", k, p)
		}
	}
}

// treeRE is the first line of the trace tree the agent prints.
var treeRE = regexp.MustCompile(`(?m)^trace [0-9a-f]{32}: `)

// noEngineDocker is a folder with a docker CLI whose engine never answers,
// as on a machine with the client but no daemon.
func noEngineDocker(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// withPath puts dir first on env's PATH.
func withPath(env []string, dir string) []string {
	for i, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			env[i] = "PATH=" + dir + string(os.PathListSeparator) + v
			return env
		}
	}
	return append(env, "PATH="+dir)
}

// readPids reads demo.sh's pids file: "name pid" per line.
func readPids(t *testing.T, state string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(state, "pids"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		name, pid, ok := strings.Cut(line, " ")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil {
			t.Fatalf("pids line %q", line)
		}
		out[name] = n
	}
	return out
}

// killLeftovers kills, by PID, whatever demo.sh listed and left running
// (a failed test must not leave processes behind either).
func killLeftovers(state string) {
	b, err := os.ReadFile(filepath.Join(state, "pids"))
	if err != nil {
		return
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		_, pid, _ := strings.Cut(line, " ")
		if n, err := strconv.Atoi(pid); err == nil && syscall.Kill(n, 0) == nil {
			fmt.Fprintf(os.Stderr, "e2e/demo: killing leftover pid %d (%s)\n", n, line)
			_ = syscall.Kill(n, syscall.SIGKILL)
		}
	}
}
