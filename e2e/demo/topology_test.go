//go:build e2e

package demo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tracegate/tracegate/internal/jaegertest"
)

// gatewayConfig is the gateway's --config: a rate limit on every tool, so
// each allowed call carries a tracegate.ratelimit.decision event, and a
// short registry resync.
const gatewayConfig = `resync_interval: 1s
policy:
  rate_limit:
    account_tool:
      - tool: "*"
        rate: 50
        burst: 50
`

// topology is the demo running as local processes.
type topology struct {
	dir                 string // logs, keys, config, audit log
	gatewayURL          string // the MCP endpoint, also the tokens' audience
	authURL             string
	auditFile, auditPub string
	env                 []string // OTEL_* for every process
	gateway             *proc
}

// startTopology starts the NATS dev registry, the authserver, the gateway
// and the three blog services on free loopback ports, every process
// exporting OTLP to j, and waits until the gateway answers.
func startTopology(t *testing.T, j *jaegertest.Jaeger) *topology {
	t.Helper()
	dir := t.TempDir()
	natsPort, authPort, gwPort := freePort(t), freePort(t), freePort(t)
	top := &topology{
		dir:        dir,
		gatewayURL: fmt.Sprintf("http://127.0.0.1:%d/mcp", gwPort),
		authURL:    fmt.Sprintf("http://127.0.0.1:%d", authPort),
		auditFile:  filepath.Join(dir, "audit.jsonl"),
		auditPub:   filepath.Join(dir, "audit-key.pub.pem"),
		env: cleanEnv(
			"OTEL_EXPORTER_OTLP_ENDPOINT="+j.OTLPEndpoint,
			"OTEL_METRICS_EXPORTER=none",
			// Export quickly: the test waits for Jaeger.
			"OTEL_BSP_SCHEDULE_DELAY=200",
			"OTEL_BLRP_SCHEDULE_DELAY=200",
		),
	}
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	cfg := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfg, []byte(gatewayConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	keygen := startProc(t, dir, "keygen", top.env, "tracegate", "keygen", "--out", filepath.Join(dir, "audit-key.pem"),
		"--mac-out", filepath.Join(dir, "audit.mac"))
	if code := keygen.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("keygen: exit %d\n%s", code, keygen.tail(10))
	}

	nats := startProc(t, dir, "devregistry", top.env, "devregistry", "--addr", fmt.Sprintf("127.0.0.1:%d", natsPort))
	waitUntil(t, "the NATS registry", 20*time.Second, nats, func() bool { return listening(natsPort) })

	auth := startProc(t, dir, "authserver", top.env, "authserver",
		"--addr", fmt.Sprintf("127.0.0.1:%d", authPort), "--issuer", top.authURL, "--audience", top.gatewayURL)
	waitUntil(t, "the authserver", 20*time.Second, auth, func() bool { return httpOK(top.authURL + "/healthz") })

	top.gateway = startProc(t, dir, "gateway", top.env, "tracegate", "serve",
		"--addr", fmt.Sprintf("127.0.0.1:%d", gwPort), "--config", cfg,
		"--registry", "nats", "--registry_address", natsURL,
		"--auth-issuer", top.authURL, "--auth-resource", top.gatewayURL,
		"--audit-file", top.auditFile, "--audit-key", filepath.Join(dir, "audit-key.pem"),
		"--audit-mac-key", filepath.Join(dir, "audit.mac"))
	waitUntil(t, "the gateway", 30*time.Second, top.gateway,
		func() bool { return httpOK(fmt.Sprintf("http://127.0.0.1:%d/healthz", gwPort)) })

	jwks := fmt.Sprintf("http://127.0.0.1:%d/.well-known/tracegate/jwks.json", gwPort)
	for _, svc := range []string{"users", "posts", "comments"} {
		startProc(t, dir, svc, top.env, svc, "--registry", "nats", "--registry_address", natsURL, "--identity-jwks", jwks)
	}
	t.Cleanup(httpClient.CloseIdleConnections)
	return top
}
