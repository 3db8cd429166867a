//go:build e2e

package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/internal/e2etest"
	"github.com/tracegate/tracegate/internal/jaegertest"
)

// gatewayConfig is the gateway's --config: the console on, with the demo's
// clients listed for the Tools page, a per-caller rate limit that refills
// slowly (so the Limits page has callers near it after a few calls), and a
// short registry resync. The console writes policy changes back to this file.
const gatewayConfig = `# the e2e console topology's gateway
resync_interval: 1s
console:
  enabled: true
  clients:
    - id: demo-agent
      scopes: [blog:read, blog:write]
    - id: admin-agent
      scopes: [blog:read, blog:write, blog:admin]
policy:
  rate_limit:
    account_tool:
      - tool: "*"
        rate: 1
        burst: 60
`

// httpClient is the suite's HTTP client; idle connections are closed at
// the end of each test (goleak).
var httpClient = &http.Client{Timeout: 10 * time.Second}

// topology is the demo running as processes, the console on.
type topology struct {
	dir        string
	gw         string // http://127.0.0.1:port
	mcp        string // the MCP endpoint, the MCP tokens' audience
	consoleURL string // the console, its tokens' audience
	auth       string
	cfg        string // the gateway's --config
	auditFile  string
	env        []string
	gateway    *e2etest.Proc
	services   map[string]*e2etest.Proc
}

func startTopology(t *testing.T, j *jaegertest.Jaeger) *topology {
	t.Helper()
	dir := t.TempDir()
	natsPort, authPort, gwPort := e2etest.FreePort(t), e2etest.FreePort(t), e2etest.FreePort(t)
	top := &topology{
		dir:       dir,
		gw:        fmt.Sprintf("http://127.0.0.1:%d", gwPort),
		auth:      fmt.Sprintf("http://127.0.0.1:%d", authPort),
		cfg:       filepath.Join(dir, "gateway.yaml"),
		auditFile: filepath.Join(dir, "audit.jsonl"),
		env: e2etest.CleanEnv("OTEL_EXPORTER_OTLP_ENDPOINT="+j.OTLPEndpoint, "OTEL_METRICS_EXPORTER=none",
			"OTEL_BSP_SCHEDULE_DELAY=200", "OTEL_BLRP_SCHEDULE_DELAY=200"),
	}
	top.mcp, top.consoleURL = top.gw+"/mcp", top.gw+"/console"
	if err := os.WriteFile(top.cfg, []byte(gatewayConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	keygen := e2etest.StartProc(t, dir, "keygen", top.env, bin("tracegate"), "keygen", "--out", filepath.Join(dir, "audit-key.pem"),
		"--mac-out", filepath.Join(dir, "audit.mac"))
	if code := keygen.Wait(t, 30*time.Second); code != 0 {
		t.Fatalf("keygen: exit %d\n%s", code, keygen.Tail(10))
	}
	nats := e2etest.StartProc(t, dir, "devregistry", top.env, bin("devregistry"), "--addr", fmt.Sprintf("127.0.0.1:%d", natsPort))
	e2etest.WaitUntil(t, "the NATS registry", 20*time.Second, nats, func() bool { return e2etest.Listening(natsPort) })

	auth := e2etest.StartProc(t, dir, "authserver", top.env, bin("authserver"), "--addr", fmt.Sprintf("127.0.0.1:%d", authPort),
		"--issuer", top.auth, "--audience", top.mcp, "--resources", top.consoleURL+"=tracegate:admin")
	e2etest.WaitUntil(t, "the authserver", 20*time.Second, auth, func() bool { return e2etest.HTTPOK(httpClient, top.auth+"/healthz") })

	top.gateway = e2etest.StartProc(t, dir, "gateway", top.env, bin("tracegate"), "serve",
		"--addr", fmt.Sprintf("127.0.0.1:%d", gwPort), "--config", top.cfg, "--console", "--console-jaeger-url", j.URL,
		"--registry", "nats", "--registry_address", natsURL, "--auth-issuer", top.auth, "--auth-resource", top.mcp,
		"--audit-file", top.auditFile, "--audit-key", filepath.Join(dir, "audit-key.pem"), "--audit-mac-key", filepath.Join(dir, "audit.mac"))
	e2etest.WaitUntil(t, "the gateway", 30*time.Second, top.gateway, func() bool { return e2etest.HTTPOK(httpClient, top.gw+"/healthz") })

	jwks := top.gw + "/.well-known/tracegate/jwks.json"
	top.services = map[string]*e2etest.Proc{}
	for _, svc := range []string{"users", "posts", "comments"} {
		top.services[svc] = e2etest.StartProc(t, dir, svc, top.env, bin(svc), "--registry", "nats", "--registry_address", natsURL, "--identity-jwks", jwks)
	}
	t.Cleanup(httpClient.CloseIdleConnections)
	return top
}

// token asks the authserver for a client-credentials token for resource.
func (top *topology) token(t *testing.T, id, secret, resource, scope, intent string) string {
	t.Helper()
	f := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}}
	if scope != "" {
		f.Set("scope", scope)
	}
	if intent != "" {
		f.Set("intent", intent)
	}
	req, _ := http.NewRequest(http.MethodPost, top.auth+"/token", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &body); err != nil || body.AccessToken == "" {
		t.Fatalf("token for %s (%s %q): %d %s", id, resource, scope, res.StatusCode, raw)
	}
	return body.AccessToken
}

// api calls the console's JSON API with a bearer token.
func (top *topology) api(t *testing.T, method, path, token string, body io.Reader) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, top.gw+path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// connect opens an MCP session with token.
func (top *topology) connect(t *testing.T, token string) *mcp.ClientSession {
	t.Helper()
	tr := &mcp.StreamableClientTransport{Endpoint: top.mcp, HTTPClient: &http.Client{Transport: bearer{token}}, MaxRetries: -1}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e-console", Version: "1"}, nil).Connect(ctx, tr, nil)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, top.gateway.Tail(20))
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// call calls a tool; err is a refusal (403 and the like).
func call(t *testing.T, cs *mcp.ClientSession, tool string, args any) (*mcp.CallToolResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
}

// waitTools waits until the gateway serves the blog's tools.
func (top *topology) waitTools(t *testing.T, cs *mcp.ClientSession) {
	t.Helper()
	e2etest.WaitUntil(t, "the blog's tools", 60*time.Second, top.gateway, func() bool {
		n := 0
		for tool, err := range cs.Tools(context.Background(), nil) {
			if err != nil {
				return false
			}
			if tool.Name == "posts.Posts.Delete" || tool.Name == "comments.Comments.Create" || tool.Name == "users.Users.Create" {
				n++
			}
		}
		return n == 3
	})
}
