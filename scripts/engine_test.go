package scripts_test

import (
	"strconv"
	"strings"
	"testing"
)

// TestJaegerEngineDetection: `make demo` runs Jaeger's official image only
// when a Docker engine answers; a docker CLI without an engine, or no CLI,
// means the local build. JAEGER_ENGINE forces either way.
func TestJaegerEngineDetection(t *testing.T) {
	for _, tc := range []struct {
		name    string
		docker  bool   // a docker CLI on PATH
		engine  bool   // `docker info` succeeds
		setting string // JAEGER_ENGINE
		want    string // stdout; "" means failure
		msg     string // on stderr for failures
	}{
		{name: "no docker CLI", want: "local"},
		{name: "CLI without an engine", docker: true, want: "local"},
		{name: "engine answers", docker: true, engine: true, want: "docker"},
		{name: "local forced", docker: true, engine: true, setting: "local", want: "local"},
		{name: "auto spelled out", docker: true, engine: true, setting: "auto", want: "docker"},
		{name: "docker forced with an engine", docker: true, engine: true, setting: "docker", want: "docker"},
		{name: "docker forced without an engine", docker: true, setting: "docker", msg: "no Docker engine answers"},
		{name: "docker forced without a CLI", setting: "docker", msg: "no Docker engine answers"},
		{name: "unknown setting", docker: true, engine: true, setting: "podman", msg: "want auto, docker or local"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s *sandbox
			if tc.docker {
				s = newSandbox(t, "docker")
			} else {
				s = newSandbox(t)
			}
			extra := map[string]string{}
			if tc.engine {
				extra["STANDIN_DOCKER_ENGINE"] = "1"
			}
			if tc.setting != "" {
				extra["JAEGER_ENGINE"] = tc.setting
			}
			r := s.run("jaeger.sh", extra, "engine")
			if tc.want != "" {
				if r.code != 0 || r.stdout != tc.want+"\n" {
					t.Errorf("want %q; %s", tc.want, r)
				}
				return
			}
			if r.code == 0 || !strings.Contains(r.stderr, tc.msg) {
				t.Errorf("want a failure saying %q; %s", tc.msg, r)
			}
		})
	}
}

// TestDemoSaysWhichJaeger: demo.sh says, before anything else, whether
// Jaeger comes with its UI (official image) or without (local build, with
// the trace tree and the console instead); a failed build then stops it with
// its own message. The stand-in go fails, so nothing else starts.
func TestDemoSaysWhichJaeger(t *testing.T) {
	for _, tc := range []struct {
		name   string
		engine bool
		want   []string
		not    []string
	}{
		{"no engine: local build without UI", false,
			[]string{"no Docker engine answers", "has NO UI", "trace tree", "/console"},
			[]string{"official image"}},
		{"engine: official image with UI", true,
			[]string{"a Docker engine answers", "official image", "real UI"},
			[]string{"NO UI"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t, "go", "docker")
			gw := freePort(t)
			extra := map[string]string{"STANDIN_EXIT": "1", "DEMO_STATE_DIR": t.TempDir(), "DEMO_BIN_DIR": t.TempDir()}
			for _, k := range []string{"DEMO_AUTH_PORT", "DEMO_NATS_PORT", "JAEGER_QUERY_PORT", "JAEGER_OTLP_GRPC_PORT",
				"JAEGER_OTLP_HTTP_PORT", "JAEGER_QUERY_GRPC_PORT", "JAEGER_HEALTH_PORT"} {
				extra[k] = strconv.Itoa(freePort(t))
			}
			extra["DEMO_GATEWAY_PORT"] = strconv.Itoa(gw)
			if tc.engine {
				extra["STANDIN_DOCKER_ENGINE"] = "1"
			}
			r := s.run("demo.sh", extra)
			if r.code == 0 || !strings.Contains(r.stderr, "demo: building the binaries failed") {
				t.Fatalf("want demo.sh to stop at the failed build with its message; %s", r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(r.stderr, w) {
					t.Errorf("stderr has %q:\n%s", w, r.stderr)
				}
			}
			if !tc.engine && !strings.Contains(r.stderr, "http://127.0.0.1:"+strconv.Itoa(gw)+"/console") {
				t.Errorf("the console URL is not the gateway's:\n%s", r.stderr)
			}
			if got := s.callsOf("go"); got != 1 {
				t.Errorf("go called %d times, want the one build", got)
			}
		})
	}
}
