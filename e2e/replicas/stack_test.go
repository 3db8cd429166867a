//go:build e2e

package replicas_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/server"

	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/internal/e2etest"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
	"github.com/tracegate/tracegate/internal/oauthtest"
	"github.com/tracegate/tracegate/internal/redistest"
)

// Limits the test configures.
const (
	idleTimeout = 15 * time.Second // sessions
	drainDelay  = 1500 * time.Millisecond
	limitedTool = "users.Users.Read"
	limitBurst  = 10 // calls of limitedTool per account, across all replicas
)

// gatewayConfig is the replicas' configuration file.
var gatewayConfig = `sessions:
  idle_timeout: ` + idleTimeout.String() + `
  max_lifetime: 1h
  max_per_subject: 10
  max_total: 100
policy:
  rate_limit:
    account_tool:
      - tool: ` + limitedTool + `
        rate: 0.0001
        burst: 10
`

// stack is everything the replicas run with: the registry and a users
// service (recording what it is asked to do), Redis, an issuer, the keys,
// the three replicas and the balancer.
type stack struct {
	dir, bin        string
	natsURL         string
	redis           *redistest.Server
	iss             *oauthtest.Issuer
	pub, key, mac   string // audit checkpoint keys and the chain's MAC key
	sessionKey      string
	config          string
	auditDir        string
	lbAddr          string
	replicas        []*replica
	lb              *balancer
	dispatched      *dispatchLog
	otherDeployment *replica // its own session key, no balancer
}

// replica is one `tracegate serve` process (restarted with the same
// arguments after a crash).
type replica struct {
	id, addr string
	args     []string
	p        *proc
}

func (r *replica) url() string { return "http://" + r.addr }

// dispatchLog records the trace id of every request the users service
// handled: a call dispatched twice shows up twice.
type dispatchLog struct {
	mu      sync.Mutex
	byTrace map[string]int
}

func (d *dispatchLog) wrapper(next server.HandlerFunc) server.HandlerFunc {
	return func(ctx context.Context, req server.Request, rsp any) error {
		md, _ := metadata.FromContext(ctx)
		tp, _ := md.Get("traceparent")
		if parts := strings.Split(tp, "-"); len(parts) == 4 {
			d.mu.Lock()
			d.byTrace[parts[1]]++
			d.mu.Unlock()
		}
		return next(ctx, req, rsp)
	}
}

func (d *dispatchLog) counts() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.byTrace))
	for k, v := range d.byTrace {
		out[k] = v
	}
	return out
}

func startStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{dir: t.TempDir(), dispatched: &dispatchLog{byTrace: map[string]int{}}}
	s.bin = build(t, s.dir)
	url, natsReg := microkittest.NATSRegistry(t)
	s.natsURL = url
	p, _ := e2etest.Providers(t, users.Name)
	e2etest.StartService(t, users.New, natsReg, p, s.dispatched.wrapper)
	s.redis = redistest.Start(t)
	s.iss = oauthtest.Start(t)

	s.key, s.mac, s.sessionKey = filepath.Join(s.dir, "audit.pem"), filepath.Join(s.dir, "audit.mac"), filepath.Join(s.dir, "session.key")
	s.pub = strings.TrimSuffix(s.key, ".pem") + ".pub.pem"
	if out, err := exec.Command(s.bin, "keygen", "--out", s.key, "--mac-out", s.mac, "--session-key-out", s.sessionKey).CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	s.config = filepath.Join(s.dir, "gateway.yaml")
	if err := os.WriteFile(s.config, []byte(gatewayConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	s.auditDir = filepath.Join(s.dir, "audit")
	if err := os.MkdirAll(s.auditDir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.lbAddr = freeAddr(t)
	var addrs []string
	for i := range 3 {
		r := s.newReplica(t, "r"+string(rune('1'+i)), s.sessionKey,
			"--replicas", "3", "--redis", "redis://"+s.redis.Addr+"/0", "--drain-delay", drainDelay.String(),
			"--audit-file", filepath.Join(s.auditDir, "audit.jsonl"), "--audit-key", s.key, "--audit-mac-key", s.mac)
		s.replicas = append(s.replicas, r)
		addrs = append(addrs, r.addr)
	}
	otherKey := filepath.Join(s.dir, "other-session.key")
	if out, err := exec.Command(s.bin, "keygen", "--session-key-out", otherKey).CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	s.otherDeployment = s.newReplica(t, "other", otherKey)
	everyone := append(append([]*replica(nil), s.replicas...), s.otherDeployment)
	for _, r := range everyone {
		s.start(t, r)
	}
	for _, r := range everyone {
		s.waitServing(t, r)
	}
	s.lb = startBalancer(t, s.dir, s.lbAddr, addrs)
	s.lb.waitStatus(t, map[string]string{"r1": "UP", "r2": "UP", "r3": "UP"})
	return s
}

// newReplica prepares a replica's command line (the same issuer, registry
// and resource for all; the resource is the balancer's URL).
func (s *stack) newReplica(t *testing.T, id, sessionKey string, extra ...string) *replica {
	t.Helper()
	r := &replica{id: id, addr: freeAddr(t)}
	r.args = append([]string{"serve", "--addr", r.addr, "--registry", "nats", "--registry_address", s.natsURL,
		"--auth-issuer", s.iss.URL(), "--auth-resource", s.resource(), "--config", s.config,
		"--session-key", sessionKey, "--replica-id", id}, extra...)
	return r
}

// start starts (or restarts) a replica. Spans leave every 100ms, so a
// SIGKILL loses little telemetry.
func (s *stack) start(t *testing.T, r *replica) {
	t.Helper()
	env := append(os.Environ(), "OTEL_BSP_SCHEDULE_DELAY=100", "OTEL_BLRP_SCHEDULE_DELAY=100", "OTEL_METRICS_EXPORTER=none")
	r.p = startProc(t, s.dir, r.id, env, s.bin, r.args...)
}

// waitServing waits until the replica is ready and lists the users tools.
func (s *stack) waitServing(t *testing.T, r *replica) {
	t.Helper()
	c := &client{url: r.url() + "/mcp", token: s.token(t, "probe")}
	if !waitFor(60*time.Second, func() bool {
		if !r.p.running() {
			return false
		}
		res := c.modern(t, "tools/list", "", nil, "")
		return res.status == 200 && strings.Contains(res.body, `"`+limitedTool+`"`)
	}) {
		t.Fatalf("%s never listed the users tools; its log:\n%s", r.id, r.p.tail())
	}
}

func (s *stack) resource() string { return "http://" + s.lbAddr + "/mcp" }

// token signs a blog:read token for subject, valid for the whole test.
func (s *stack) token(t *testing.T, subject string) string {
	t.Helper()
	c := s.iss.Claims()
	c["sub"], c["aud"], c["scope"], c["client_id"] = subject, s.resource(), "blog:read", "e2e-"+subject
	c["exp"] = time.Now().Add(time.Hour).Unix()
	return s.iss.Sign(t, "rsa-1", jwa.RS256(), c)
}
