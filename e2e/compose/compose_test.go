package compose_test

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/tracegate/tracegate/gateway"
)

// The wiring the demo depends on. The issuer and the resource are the
// names a client on the host uses; containers use internal URLs.
const (
	otlpEndpoint = "http://jaeger:4317"
	issuer       = "http://127.0.0.1:9090"
	resource     = "http://127.0.0.1:8080/mcp"
	jwksURL      = "http://authserver:9090/jwks.json"
	tokenURL     = "http://authserver:9090/token"
	internalMCP  = "http://gateway:8080/mcp"
	auditDir     = "/var/lib/tracegate"
	dockerfile   = "docker/Dockerfile"
	natsURL      = "nats://nats:4222"
)

// builtTargets are the services built from docker/Dockerfile and the main
// package each builds.
var builtTargets = map[string]string{
	"users":      "./examples/blog/cmd/users",
	"posts":      "./examples/blog/cmd/posts",
	"comments":   "./examples/blog/cmd/comments",
	"authserver": "./examples/authserver/cmd/authserver",
	"gateway":    "./cmd/tracegate",
	"agent":      "./examples/agent/cmd/agent",
}

// repoRoot is the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// loadProject loads docker-compose.yml with compose-go's loader (schema
// validation, interpolation, merge keys, normalisation, consistency checks)
// and an empty environment, so the host's variables cannot change it;
// services of profiles not given are left out, as `docker compose up` does.
func loadProject(t *testing.T, profiles ...string) *types.Project {
	t.Helper()
	root := repoRoot(t)
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.Profiles = profiles })
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("service %s: %v", name, err)
	}
	return s
}

func env(s types.ServiceConfig, key string) string {
	if v, ok := s.Environment[key]; ok && v != nil {
		return *v
	}
	return ""
}

// flagValue finds --name=v, --name v, -name=v or -name v in a command.
func flagValue(cmd []string, name string) (string, bool) {
	for i, a := range cmd {
		bare := strings.TrimLeft(a, "-")
		if bare == a {
			continue
		}
		if k, v, ok := strings.Cut(bare, "="); ok && k == name {
			return v, true
		}
		if bare == name && i+1 < len(cmd) {
			return cmd[i+1], true
		}
	}
	return "", false
}

func mustFlag(t *testing.T, svc string, cmd []string, name string) string {
	t.Helper()
	v, ok := flagValue(cmd, name)
	if !ok || v == "" {
		t.Fatalf("%s: command %q lacks --%s", svc, cmd, name)
	}
	return v
}

func TestComposeServices(t *testing.T) {
	p := loadProject(t)
	if p.Name != "tracegate" {
		t.Errorf("project name %q", p.Name)
	}
	want := []string{"agent", "authserver", "comments", "gateway", "jaeger", "keys", "nats", "posts", "users"}
	if got := p.ServiceNames(); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		t.Errorf("services = %v, want %v", got, want)
	}
}

func TestComposeImagesAndBuilds(t *testing.T) {
	p := loadProject(t)
	root := repoRoot(t)
	if s := service(t, p, "jaeger"); s.Image != "jaegertracing/jaeger:2.13.0" || s.Build != nil {
		t.Errorf("jaeger image %q (build %v)", s.Image, s.Build)
	}
	// The -alpine tag: the default nats tag is FROM scratch, without the wget
	// the healthcheck needs.
	if s := service(t, p, "nats"); s.Image != "nats:2.11-alpine" {
		t.Errorf("nats image %q", s.Image)
	}
	for name, target := range builtTargets {
		s := service(t, p, name)
		if s.Build == nil {
			t.Errorf("%s: not built", name)
			continue
		}
		if s.Build.Context != root || s.Build.Dockerfile != dockerfile {
			t.Errorf("%s: build context %q dockerfile %q, want %q and %q", name, s.Build.Context, s.Build.Dockerfile, root, dockerfile)
		}
		got := s.Build.Args["TARGET"]
		if got == nil || *got != target {
			t.Errorf("%s: build arg TARGET = %v, want %q", name, got, target)
			continue
		}
		// cmd/tracegate and examples/agent are written elsewhere; a target
		// that exists must be a main package.
		dir := filepath.Join(root, filepath.FromSlash(target))
		if _, err := os.Stat(dir); err != nil {
			t.Logf("%s: %s does not exist yet", name, target)
			continue
		}
		if !hasMainPackage(t, dir) {
			t.Errorf("%s: %s is not a main package", name, target)
		}
	}
}

func hasMainPackage(t *testing.T, dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(b)) {
			if strings.TrimSpace(line) == "package main" {
				return true
			}
		}
	}
	return false
}

// TestComposeTelemetry: every process that exports telemetry sends it to
// Jaeger over OTLP/gRPC, under its own service name, without metrics (Jaeger
// has no metrics pipeline).
func TestComposeTelemetry(t *testing.T) {
	p := loadProject(t)
	names := map[string]string{}
	for name := range builtTargets {
		s := service(t, p, name)
		if got := env(s, "OTEL_EXPORTER_OTLP_ENDPOINT"); got != otlpEndpoint {
			t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT = %q, want %q", name, got, otlpEndpoint)
		}
		if got := env(s, "OTEL_METRICS_EXPORTER"); got != "none" {
			t.Errorf("%s: OTEL_METRICS_EXPORTER = %q, want none", name, got)
		}
		sn := env(s, "OTEL_SERVICE_NAME")
		if sn == "" {
			t.Errorf("%s: no OTEL_SERVICE_NAME", name)
		} else if other, dup := names[sn]; dup {
			t.Errorf("%s and %s share OTEL_SERVICE_NAME %q", name, other, sn)
		}
		names[sn] = name
		for k, v := range s.Environment {
			if v == nil {
				continue
			}
			if strings.HasPrefix(k, "OTEL_EXPORTER_OTLP_") && strings.HasSuffix(k, "ENDPOINT") && !strings.HasPrefix(*v, "http://jaeger:") {
				t.Errorf("%s: %s=%s does not point at jaeger", name, k, *v)
			}
			if strings.HasPrefix(k, "OTEL_EXPORTER_OTLP_") && strings.HasSuffix(k, "PROTOCOL") && *v != "grpc" {
				t.Errorf("%s: %s=%s (tracegate exports gRPC only)", name, k, *v)
			}
		}
		if _, ok := s.DependsOn["jaeger"]; !ok {
			t.Errorf("%s exports to jaeger but does not depend on it", name)
		}
	}
	for name, want := range map[string]string{"users": "users", "posts": "posts", "comments": "comments"} {
		if got := env(service(t, p, name), "OTEL_SERVICE_NAME"); got != want {
			t.Errorf("%s: OTEL_SERVICE_NAME %q, want %q (the registered service name)", name, got, want)
		}
	}
}

func TestComposeJaeger(t *testing.T) {
	p := loadProject(t)
	root := repoRoot(t)
	s := service(t, p, "jaeger")
	// make demo runs the same image when a Docker engine answers.
	script, err := os.ReadFile(filepath.Join(root, "scripts", "jaeger.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "image=${JAEGER_IMAGE:-" + s.Image + "}"; !strings.Contains(string(script), want) {
		t.Errorf("scripts/jaeger.sh does not default to the compose image: no %q", want)
	}
	if env(s, "JAEGER_LISTEN_HOST") != "0.0.0.0" {
		t.Errorf("JAEGER_LISTEN_HOST = %q: jaeger/config.yaml binds 127.0.0.1 by default, unreachable from other containers", env(s, "JAEGER_LISTEN_HOST"))
	}
	cfg := mustFlag(t, "jaeger", s.Command, "config")
	var mounted bool
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind && v.Target == cfg {
			mounted = true
			if v.Source != filepath.Join(root, "jaeger", "config.yaml") || !v.ReadOnly {
				t.Errorf("jaeger config mount %s -> %s (ro %v), want ./jaeger/config.yaml read-only", v.Source, v.Target, v.ReadOnly)
			}
		}
	}
	if !mounted {
		t.Errorf("--config %s is not a bind mount", cfg)
	}
	body, err := os.ReadFile(filepath.Join(root, "jaeger", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"JAEGER_LISTEN_HOST", "JAEGER_HEALTH_PORT:-13133", "JAEGER_OTLP_GRPC_PORT:-4317", "JAEGER_QUERY_PORT:-16686"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("jaeger/config.yaml lacks %q, which the compose file relies on", want)
		}
	}
	if hc := s.HealthCheck; hc == nil || !strings.Contains(strings.Join(hc.Test, " "), "127.0.0.1:13133/status") {
		t.Errorf("jaeger healthcheck = %+v, want the healthcheckv2 /status on 13133", hc)
	}
}

func TestComposePorts(t *testing.T) {
	p := loadProject(t)
	want := map[string][]uint32{
		"jaeger":     {16686, 4317, 4318},
		"nats":       {4222},
		"authserver": {9090},
		"gateway":    {8080},
	}
	for _, name := range p.ServiceNames() {
		s := service(t, p, name)
		var got []uint32
		for _, port := range s.Ports {
			got = append(got, port.Target)
			if port.Published != "" && port.Published != itoa(port.Target) {
				t.Errorf("%s: %d published as %s, want the same number", name, port.Target, port.Published)
			}
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s: port %d bound to %q on the host, want 127.0.0.1", name, port.Target, port.HostIP)
			}
		}
		if !slices.Equal(got, want[name]) {
			t.Errorf("%s: ports %v, want %v", name, got, want[name])
		}
	}
}

func itoa(n uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}

func TestComposeStartOrder(t *testing.T) {
	p := loadProject(t)
	healthy, started := types.ServiceConditionHealthy, types.ServiceConditionStarted
	want := map[string]map[string]string{
		"jaeger":     {},
		"nats":       {},
		"users":      {"nats": healthy, "jaeger": healthy},
		"posts":      {"nats": healthy, "jaeger": healthy, "users": started},
		"comments":   {"nats": healthy, "jaeger": healthy, "posts": started},
		"authserver": {"jaeger": healthy},
		"gateway": {"keys": types.ServiceConditionCompletedSuccessfully, "jaeger": healthy, "nats": healthy, "authserver": healthy,
			"users": started, "posts": started, "comments": started},
		"keys":  {},
		"agent": {"gateway": healthy, "authserver": healthy, "jaeger": healthy},
	}
	for name, deps := range want {
		s := service(t, p, name)
		got := map[string]string{}
		for dep, d := range s.DependsOn {
			got[dep] = d.Condition
			if !d.Required {
				t.Errorf("%s -> %s: not required", name, dep)
			}
		}
		if len(got) != len(deps) {
			t.Errorf("%s depends on %v, want %v", name, got, deps)
		}
		for dep, cond := range deps {
			if got[dep] != cond {
				t.Errorf("%s -> %s: condition %q, want %q", name, dep, got[dep], cond)
			}
		}
	}
}

// TestComposeHealthchecks: whatever is waited for as healthy has a
// healthcheck, and healthchecks in our distroless images run the binary
// itself (there is no shell, curl or wget in them).
func TestComposeHealthchecks(t *testing.T) {
	p := loadProject(t)
	for _, name := range p.ServiceNames() {
		s := service(t, p, name)
		for dep, d := range s.DependsOn {
			if d.Condition != types.ServiceConditionHealthy {
				continue
			}
			hc := service(t, p, dep).HealthCheck
			if hc == nil || hc.Disable || len(hc.Test) < 2 {
				t.Errorf("%s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
			}
		}
		hc := s.HealthCheck
		if hc == nil {
			continue
		}
		if hc.Test[0] != "CMD" {
			t.Errorf("%s: healthcheck %q is not exec form (CMD)", name, hc.Test)
		}
		if _, ours := builtTargets[name]; ours && hc.Test[1] != "/app" {
			t.Errorf("%s: healthcheck runs %q; a distroless image has only /app", name, hc.Test[1])
		}
		if hc.Interval == nil || hc.Retries == nil || hc.Timeout == nil {
			t.Errorf("%s: healthcheck without interval, timeout or retries", name)
		}
	}
	for name, port := range map[string]string{"authserver": "9090", "gateway": "8080"} {
		hc := service(t, p, name).HealthCheck
		if hc == nil {
			t.Errorf("%s: no healthcheck", name)
			continue
		}
		u, _ := flagValue(hc.Test, "url")
		if hc.Test[2] != "healthcheck" || u != "http://127.0.0.1:"+port+"/healthz" {
			t.Errorf("%s: healthcheck %q, want /app healthcheck --url http://127.0.0.1:%s/healthz", name, hc.Test, port)
		}
	}
}

// TestComposeAuth: the issuer and the resource are the URLs a client on the
// host uses (loopback, on the published ports), so it discovers and signs in
// with no edits; the gateway checks iss against that issuer while fetching
// the JWKS through the compose network, and the agent asks the internal
// token endpoint for a token whose audience is the canonical resource.
func TestComposeAuth(t *testing.T) {
	p := loadProject(t)
	as, gw, agent := service(t, p, "authserver"), service(t, p, "gateway"), service(t, p, "agent")

	iss := mustFlag(t, "authserver", as.Command, "issuer")
	aud := mustFlag(t, "authserver", as.Command, "audience")
	if got := mustFlag(t, "gateway", gw.Command, "auth-issuer"); got != iss || iss != issuer {
		t.Errorf("gateway --auth-issuer %q, authserver --issuer %q, want both %q", got, iss, issuer)
	}
	if got := mustFlag(t, "gateway", gw.Command, "auth-resource"); got != aud || aud != resource {
		t.Errorf("gateway --auth-resource %q, authserver --audience %q, want both %q", got, aud, resource)
	}
	checkHostURL(t, "issuer", iss, as, mustFlag(t, "authserver", as.Command, "addr"))
	checkHostURL(t, "resource", aud, gw, mustFlag(t, "gateway", gw.Command, "addr"))
	if u, _ := url.Parse(aud); u == nil || u.Path != "/mcp" {
		t.Errorf("resource %q does not name the MCP endpoint /mcp", aud)
	}

	jwks := mustFlag(t, "gateway", gw.Command, "auth-jwks-url")
	checkReachable(t, "gateway --auth-jwks-url", jwks, "authserver", mustFlag(t, "authserver", as.Command, "addr"))
	if jwks != jwksURL {
		t.Errorf("gateway --auth-jwks-url %q, want %q (the authserver's JWKS inside the network)", jwks, jwksURL)
	}

	for key, want := range map[string]string{
		"TRACEGATE_URL":      internalMCP,
		"TRACEGATE_RESOURCE": resource,
		"AUTH_URL":           issuer,
		"AUTH_TOKEN_URL":     tokenURL,
		"JAEGER_URL":         "http://jaeger:16686",
	} {
		if got := env(agent, key); got != want {
			t.Errorf("agent %s %q, want %q", key, got, want)
		}
	}
	checkReachable(t, "agent TRACEGATE_URL", env(agent, "TRACEGATE_URL"), "gateway", mustFlag(t, "gateway", gw.Command, "addr"))
	checkReachable(t, "agent AUTH_TOKEN_URL", env(agent, "AUTH_TOKEN_URL"), "authserver", mustFlag(t, "authserver", as.Command, "addr"))
	if id, secret := env(agent, "AUTH_CLIENT_ID"), env(agent, "AUTH_CLIENT_SECRET"); id != "demo-agent" || secret != "demo-secret" {
		t.Errorf("agent client %q/%q, want the demo client (no blog:admin)", id, secret)
	}
	if _, ok := flagValue(gw.Command, "anonymous"); ok {
		t.Error("gateway runs --anonymous in the demo: tokens would not be checked")
	}
}

// checkHostURL asserts that rawURL is what a client on the host dials: http
// on 127.0.0.1 (or localhost) at the port the service publishes there for
// the port it listens on.
func checkHostURL(t *testing.T, what, rawURL string, s types.ServiceConfig, listen string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("%s %q: %v", what, rawURL, err)
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		t.Fatalf("%s listens on %q: %v", s.Name, listen, err)
	}
	if u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		t.Errorf("%s %q is not an http URL on the host's loopback", what, rawURL)
	}
	for _, pc := range s.Ports {
		if itoa(pc.Target) == port && pc.HostIP == "127.0.0.1" && pc.Published == u.Port() {
			return
		}
	}
	t.Errorf("%s %q: %s does not publish its port %s as 127.0.0.1:%s", what, rawURL, s.Name, port, u.Port())
}

// checkReachable asserts that rawURL names service on the port it listens
// on inside the compose network.
func checkReachable(t *testing.T, what, rawURL, service, listen string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("%s %q: %v", what, rawURL, err)
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		t.Fatalf("%s listens on %q: %v", service, listen, err)
	}
	if u.Scheme != "http" || u.Hostname() != service || u.Port() != port {
		t.Errorf("%s %q is not http://%s:%s, where %s listens", what, rawURL, service, port, service)
	}
	if host != "0.0.0.0" && host != "" {
		t.Errorf("%s listens on %q: other containers cannot reach it", service, listen)
	}
}

func TestComposeAuditVolume(t *testing.T) {
	p := loadProject(t)
	gw := service(t, p, "gateway")
	var mounted bool
	for _, v := range gw.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Source == "audit" && v.Target == auditDir && !v.ReadOnly {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("gateway volumes %+v lack audit:%s (rw)", gw.Volumes, auditDir)
	}
	if _, ok := p.Volumes["audit"]; !ok {
		t.Error("top-level volume audit is not declared")
	}
	if f := mustFlag(t, "gateway", gw.Command, "audit-file"); filepath.Dir(f) != auditDir {
		t.Errorf("--audit-file %q is not inside the audit volume %s", f, auditDir)
	}
	if gw.Command[0] != "serve" {
		t.Errorf("gateway command %q does not start with serve", gw.Command)
	}
}

func TestComposeRegistry(t *testing.T) {
	p := loadProject(t)
	gw := service(t, p, "gateway")
	if mustFlag(t, "gateway", gw.Command, "registry") != "nats" || mustFlag(t, "gateway", gw.Command, "registry_address") != natsURL {
		t.Errorf("gateway registry flags in %q, want nats at %s", gw.Command, natsURL)
	}
	for _, name := range []string{"users", "posts", "comments"} {
		s := service(t, p, name)
		if env(s, "MICRO_REGISTRY") != "nats" || env(s, "MICRO_REGISTRY_ADDRESS") != natsURL {
			t.Errorf("%s: registry %q at %q, want nats at %s", name, env(s, "MICRO_REGISTRY"), env(s, "MICRO_REGISTRY_ADDRESS"), natsURL)
		}
		// go-micro registers the address it listens on; for 0.0.0.0 it
		// picks the container's private IP. 127.0.0.1 (the binaries'
		// default) would be unreachable from the gateway's container.
		host, _, err := net.SplitHostPort(env(s, "MICRO_SERVER_ADDRESS"))
		if err != nil || host != "0.0.0.0" {
			t.Errorf("%s: MICRO_SERVER_ADDRESS %q, want 0.0.0.0:<port>", name, env(s, "MICRO_SERVER_ADDRESS"))
		}
		// Guarded: only calls carrying the gateway's identity are served.
		if got, want := env(s, "TRACEGATE_IDENTITY_JWKS"), "http://gateway:8080/.well-known/tracegate/jwks.json"; got != want {
			t.Errorf("%s: TRACEGATE_IDENTITY_JWKS %q, want %q", name, got, want)
		}
	}
}

func TestComposeAgentIsOneShot(t *testing.T) {
	p := loadProject(t)
	agent := service(t, p, "agent")
	if agent.Restart != types.RestartPolicyNo {
		t.Errorf("agent restart %q, want no", agent.Restart)
	}
	if len(agent.Ports) > 0 || agent.HealthCheck != nil {
		t.Error("the one-shot agent publishes ports or has a healthcheck")
	}
	for _, name := range p.ServiceNames() {
		if _, ok := service(t, p, name).DependsOn["agent"]; ok {
			t.Errorf("%s depends on the one-shot agent", name)
		}
		if name != "agent" && service(t, p, name).Restart == types.RestartPolicyNo {
			t.Logf("%s does not restart on failure", name)
		}
	}
}

// TestComposeGatewayConfig: the gateway reads docker/gateway.yaml (the file
// make demo uses too), mounted read-only: a 401 names the baseline scope
// blog:read and tools/list shows uncallable tools with their scopes, so a
// least-privileged MCP client on the host can connect and step up.
func TestComposeGatewayConfig(t *testing.T) {
	p := loadProject(t)
	root := repoRoot(t)
	gw := service(t, p, "gateway")
	path := mustFlag(t, "gateway", gw.Command, "config")
	var mounted bool
	for _, v := range gw.Volumes {
		if v.Type == types.VolumeTypeBind && v.Target == path {
			mounted = v.Source == filepath.Join(root, "docker", "gateway.yaml") && v.ReadOnly
		}
	}
	if !mounted {
		t.Errorf("gateway --config %s is not ./docker/gateway.yaml mounted read-only: %+v", path, gw.Volumes)
	}
	cfg := demoGatewayConfig(t)
	if !slices.Equal(cfg.Auth.BaselineScopes, []string{"blog:read"}) || !cfg.Policy.ListUncallable {
		t.Errorf("docker/gateway.yaml: baseline_scopes %v, list_uncallable %v; want [blog:read] and true",
			cfg.Auth.BaselineScopes, cfg.Policy.ListUncallable)
	}
	if cfg.Auth.Issuer != "" || cfg.Auth.Resource != "" || cfg.Auth.Anonymous {
		t.Errorf("docker/gateway.yaml sets auth names (%+v); they come from flags, per deployment", cfg.Auth)
	}
	script, err := os.ReadFile(filepath.Join(root, "scripts", "demo.sh"))
	if err != nil {
		t.Fatal(err)
	}
	// demo.sh runs a copy, which the console may rewrite (docs/console.md).
	if !strings.Contains(string(script), `cp "$root/docker/gateway.yaml" "$state/gateway.yaml"`) ||
		!strings.Contains(string(script), `--config "$state/gateway.yaml"`) {
		t.Error("scripts/demo.sh does not run the gateway with a copy of docker/gateway.yaml")
	}
}

// demoGatewayConfig loads docker/gateway.yaml as the gateway does.
func demoGatewayConfig(t *testing.T) gateway.Config {
	t.Helper()
	cfg, err := gateway.LoadConfig(filepath.Join(repoRoot(t), "docker", "gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
