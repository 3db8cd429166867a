package compose_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/tracegate/tracegate/gateway"
)

// The replicas profile's wiring.
const (
	replicasProfile = "replicas"
	balancer        = "gateways"
	replicasIssuer  = "http://127.0.0.1:9091"
	replicasRes     = "http://127.0.0.1:8088/mcp"
	replicasJWKS    = "http://gateways-auth:9091/jwks.json"
	redisURL        = "redis://redis:6379/0"
	haproxyCfg      = "/usr/local/etc/haproxy/haproxy.cfg"
)

var replicaServices = []string{"gateway-1", "gateway-2", "gateway-3"}

// TestComposeReplicasProfile: the profile adds three replicas, the
// balancer, the replicas' issuer and Redis, and nothing else; without the
// profile none of them runs (TestComposeServices).
func TestComposeReplicasProfile(t *testing.T) {
	p := loadProject(t, replicasProfile)
	base := loadProject(t)
	var added []string
	for _, name := range p.ServiceNames() {
		if !slices.Contains(base.ServiceNames(), name) {
			added = append(added, name)
			if s := service(t, p, name); !slices.Equal(s.Profiles, []string{replicasProfile}) {
				t.Errorf("%s: profiles %v", name, s.Profiles)
			}
		}
	}
	slices.Sort(added)
	if want := []string{"gateway-1", "gateway-2", "gateway-3", "gateways", "gateways-auth", "redis"}; !slices.Equal(added, want) {
		t.Fatalf("the profile adds %v, want %v", added, want)
	}
}

// TestComposeReplicas: each replica is the gateway binary with its own
// replica id and audit file, the replica count, the shared Redis, the
// shared session and identity keys, a drain delay, the demo gateway's
// configuration, and the replicas' issuer (its JWKS by internal name) and
// resource (the balancer's URL on the host).
func TestComposeReplicas(t *testing.T) {
	p := loadProject(t, replicasProfile)
	single := service(t, p, "gateway")
	ids, audits := map[string]bool{}, map[string]bool{}
	for _, name := range replicaServices {
		s := service(t, p, name)
		cmd := s.Command
		if cmd[0] != "serve" || s.Build == nil || *s.Build.Args["TARGET"] != "./cmd/tracegate" {
			t.Errorf("%s: command %q, build %+v", name, cmd, s.Build)
		}
		if n := mustFlag(t, name, cmd, "replicas"); n != strconv.Itoa(len(replicaServices)) {
			t.Errorf("%s: --replicas=%s for %d replicas", name, n, len(replicaServices))
		}
		id := env(s, "TRACEGATE_REPLICA_ID")
		if id == "" || ids[id] {
			t.Errorf("%s: replica id %q missing or shared", name, id)
		}
		ids[id] = true
		audit := gateway.ReplicaAuditPath(mustFlag(t, name, cmd, "audit-file"), id)
		if audits[audit] || !strings.Contains(audit, id) || !mountedAt(s, "replica-audit", filepath.Dir(audit), false) {
			t.Errorf("%s: audit file %s shared or not in the replica-audit volume", name, audit)
		}
		audits[audit] = true
		if got := mustFlag(t, name, cmd, "redis"); got != redisURL {
			t.Errorf("%s: --redis=%s, want %s", name, got, redisURL)
		}
		if _, ok := flagValue(cmd, "allow-local-limits"); ok {
			t.Errorf("%s: runs with local limits", name)
		}
		if d := mustFlag(t, name, cmd, "drain-delay"); d == "0" || d == "0s" {
			t.Errorf("%s: no drain delay: HAProxy would send requests to a stopping replica", name)
		}
		for flag, file := range map[string]string{"session-key": "session.key", "identity-key": "identity.pem"} {
			if got := mustFlag(t, name, cmd, flag); got != "/keys/"+file || !mountedAt(s, "keys", "/keys", true) {
				t.Errorf("%s: --%s=%s, want /keys/%s from the keys volume (read-only)", name, flag, got, file)
			}
		}
		if got, want := mustFlag(t, name, cmd, "identity-key"), mustFlag(t, "gateway", single.Command, "identity-key"); got != want {
			t.Errorf("%s: identity key %s, the gateway's %s: the services trust one key", name, got, want)
		}
		if mustFlag(t, name, cmd, "auth-issuer") != replicasIssuer || mustFlag(t, name, cmd, "auth-resource") != replicasRes ||
			mustFlag(t, name, cmd, "auth-jwks-url") != replicasJWKS {
			t.Errorf("%s: issuer/JWKS/resource in %q", name, cmd)
		}
		if got, want := mustFlag(t, name, cmd, "config"), mustFlag(t, "gateway", single.Command, "config"); got != want ||
			!slices.ContainsFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool {
				return v.Type == types.VolumeTypeBind && v.Target == got && v.ReadOnly && v.Source == filepath.Join(repoRoot(t), "docker", "gateway.yaml")
			}) {
			t.Errorf("%s: --config %s, want the demo gateway's %s mounted read-only", name, got, want)
		}
		checkReachable(t, "replica", "http://"+name+":8080/mcp", name, mustFlag(t, name, cmd, "addr"))
		if len(s.Ports) > 0 {
			t.Errorf("%s publishes ports: clients go through the balancer", name)
		}
		for dep, cond := range map[string]string{"keys": types.ServiceConditionCompletedSuccessfully, "redis": types.ServiceConditionHealthy,
			"gateways-auth": types.ServiceConditionHealthy, "nats": types.ServiceConditionHealthy, "jaeger": types.ServiceConditionHealthy} {
			if s.DependsOn[dep].Condition != cond {
				t.Errorf("%s -> %s: %q, want %q", name, dep, s.DependsOn[dep].Condition, cond)
			}
		}
		if env(s, "OTEL_SERVICE_NAME") != "tracegate" || env(s, "OTEL_EXPORTER_OTLP_ENDPOINT") != otlpEndpoint {
			t.Errorf("%s: telemetry env %v", name, s.Environment)
		}
	}
	as := service(t, p, "gateways-auth")
	if mustFlag(t, "gateways-auth", as.Command, "issuer") != replicasIssuer || mustFlag(t, "gateways-auth", as.Command, "audience") != replicasRes {
		t.Errorf("gateways-auth command %q: issuer %s, audience %s expected", as.Command, replicasIssuer, replicasRes)
	}
	checkHostURL(t, "replicas' issuer", replicasIssuer, as, mustFlag(t, "gateways-auth", as.Command, "addr"))
	checkReachable(t, "replicas' JWKS", replicasJWKS, "gateways-auth", mustFlag(t, "gateways-auth", as.Command, "addr"))
	checkHostURL(t, "replicas' resource", replicasRes, service(t, p, balancer), env(service(t, p, balancer), "TRACEGATE_LB_BIND"))
	if _, ok := p.Volumes["replica-audit"]; !ok {
		t.Error("volume replica-audit is not declared")
	}
	keys := service(t, p, "keys")
	if keys.Command[0] != "keygen" || !slices.Contains(keys.Command, "--if-missing") || !mountedAt(keys, "keys", "/var/lib/tracegate", false) ||
		mustFlag(t, "keys", keys.Command, "out") != "/var/lib/tracegate/identity.pem" ||
		mustFlag(t, "keys", keys.Command, "session-key-out") != "/var/lib/tracegate/session.key" || keys.Restart != types.RestartPolicyNo {
		t.Errorf("keys job %q", keys.Command)
	}
}

func mountedAt(s types.ServiceConfig, volume, target string, readOnly bool) bool {
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Source == volume && v.Target == target && v.ReadOnly == readOnly {
			return true
		}
	}
	return false
}

// TestComposeBalancer: HAProxy in round-robin without affinity over the
// three replicas, health-checked on /readyz, retrying only requests that
// never reached a replica; its listen address is the replicas' resource.
func TestComposeBalancer(t *testing.T) {
	p := loadProject(t, replicasProfile)
	root := repoRoot(t)
	lb := service(t, p, balancer)
	if lb.Image != "haproxy:2.6-alpine" {
		t.Errorf("balancer image %q (the Debian package e2e/replicas runs is 2.6)", lb.Image)
	}
	var mounted bool
	for _, v := range lb.Volumes {
		if v.Type == types.VolumeTypeBind && v.Target == haproxyCfg {
			mounted = v.Source == filepath.Join(root, "docker", "haproxy.cfg") && v.ReadOnly
		}
	}
	if !mounted {
		t.Errorf("balancer volumes %+v: want ./docker/haproxy.cfg at %s, read-only", lb.Volumes, haproxyCfg)
	}
	res, _ := url.Parse(replicasRes)
	if got := env(lb, "TRACEGATE_LB_BIND"); got != "0.0.0.0:"+res.Port() {
		t.Errorf("TRACEGATE_LB_BIND %q, want 0.0.0.0:%s (the resource's port)", got, res.Port())
	}
	if len(lb.Ports) != 1 || lb.Ports[0].Target != 8088 || lb.Ports[0].HostIP != "127.0.0.1" || lb.Ports[0].Published != "8088" {
		t.Errorf("balancer ports %+v, want 127.0.0.1:8088:8088", lb.Ports)
	}
	for i, name := range replicaServices {
		if got, want := env(lb, fmt.Sprintf("TRACEGATE_GW%d", i+1)), name+":8080"; got != want {
			t.Errorf("TRACEGATE_GW%d %q, want %q", i+1, got, want)
		}
		if lb.DependsOn[name].Condition != types.ServiceConditionHealthy {
			t.Errorf("balancer -> %s: %q", name, lb.DependsOn[name].Condition)
		}
	}
	checkHAProxyConfig(t, filepath.Join(root, "docker", "haproxy.cfg"), len(replicaServices))
	if s := service(t, p, "redis"); s.Image != "redis:7-alpine" || len(s.Ports) > 0 || s.HealthCheck == nil {
		t.Errorf("redis: image %q, ports %v, healthcheck %v", s.Image, s.Ports, s.HealthCheck)
	}
	for _, name := range []string{balancer, "gateways-auth"} {
		for _, port := range service(t, p, name).Ports {
			if port.HostIP != "127.0.0.1" || port.Published != itoa(port.Target) {
				t.Errorf("%s: port %+v", name, port)
			}
		}
	}
}

// checkHAProxyConfig reads the HAProxy configuration (shared by compose and
// e2e/replicas): round-robin, no affinity, n servers from the environment,
// health checks on /readyz, retries on connection failures only.
func checkHAProxyConfig(t *testing.T, path string, n int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for l := range strings.Lines(string(b)) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	has := func(want string) bool { return slices.Contains(lines, want) }
	for _, want := range []string{"mode http", "balance roundrobin", "option httpchk GET /readyz", "http-check expect status 200",
		"retry-on conn-failure", "option redispatch", `bind "${TRACEGATE_LB_BIND}"`} {
		if !has(want) {
			t.Errorf("haproxy.cfg lacks %q", want)
		}
	}
	affinity := regexp.MustCompile(`^(cookie|stick|stick-table|hash-type|appsession|persist)\b|^balance\s+(source|uri|url_param|hdr|rdp-cookie|random|first)`)
	servers := 0
	for _, l := range lines {
		if affinity.MatchString(l) {
			t.Errorf("haproxy.cfg: %q gives requests an affinity", l)
		}
		if strings.HasPrefix(l, "retry-on") && l != "retry-on conn-failure" {
			t.Errorf("haproxy.cfg: %q would send a request a replica may have started to another", l)
		}
		if strings.HasPrefix(l, "server ") {
			servers++
			if want := fmt.Sprintf(`server r%d "${TRACEGATE_GW%d}"`, servers, servers); l != want {
				t.Errorf("haproxy.cfg: %q, want %q", l, want)
			}
		}
		if strings.HasPrefix(l, "default-server") && !strings.Contains(l, "check") {
			t.Errorf("haproxy.cfg: %q: servers are not health-checked", l)
		}
	}
	if servers != n {
		t.Errorf("haproxy.cfg has %d servers, want %d", servers, n)
	}
}
