package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/tool"
	"github.com/tracegate/tracegate/internal/gatewaytest"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/oauthtest"
	"github.com/tracegate/tracegate/internal/oteltest"
)

// probeArgs is the request type of the probe service's endpoints.
type probeArgs struct {
	Limit  int    `json:"limit,omitempty"`
	Name   string `json:"name,omitempty"`
	Nested *struct {
		N int `json:"n"`
	} `json:"nested,omitempty"`
}

// reception is one request the probe service handled: the endpoint, the
// exact request bytes and the account the gateway named.
type reception struct {
	Endpoint string
	Body     []byte
	Account  string
	Baggage  string // the W3C baggage the service received
}

// Probe is a go-micro service without gateway/guard (the worst case: only
// the gateway protects it) that records every request byte for byte.
type Probe struct {
	mu     sync.Mutex
	got    []reception
	onCall func() // runs inside each call, when set
}

func (p *Probe) record(ctx context.Context, endpoint string, req *json.RawMessage, rsp *json.RawMessage) error {
	md, _ := metadata.FromContext(ctx)
	acct, _ := md.Get(gateway.AccountIDKey)
	bag, _ := md.Get("baggage")
	p.mu.Lock()
	if p.onCall != nil {
		p.onCall()
	}
	p.got = append(p.got, reception{Endpoint: endpoint, Body: bytes.Clone(*req), Account: acct, Baggage: bag})
	p.mu.Unlock()
	*rsp = json.RawMessage(`{"ok":true}`)
	return nil
}

// Read is scoped probe:read.
func (p *Probe) Read(ctx context.Context, req *json.RawMessage, rsp *json.RawMessage) error {
	return p.record(ctx, "Probe.Read", req, rsp)
}

// Admin is scoped probe:admin, which the test token does not hold.
func (p *Probe) Admin(ctx context.Context, req *json.RawMessage, rsp *json.RawMessage) error {
	return p.record(ctx, "Probe.Admin", req, rsp)
}

func (p *Probe) take() []reception {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.got
	p.got = nil
	return out
}

// take returns and forgets the records written so far.
func (s *recordSink) take() []audit.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.recs
	s.recs = nil
	return out
}

// probeEnv is the probe service behind a JWT-authenticated gateway served
// over HTTP on 127.0.0.1; the token holds probe:read only.
type probeEnv struct {
	probe   *Probe
	sink    *recordSink
	capture *oteltest.Capture
	gw      *gateway.Gateway
	url     string
	handler http.Handler
	token   string
	iss     *oauthtest.Issuer
}

func newProbeEnv(t testing.TB, mutate ...func(*gateway.Options)) *probeEnv {
	t.Helper()
	reg := registry.NewMemoryRegistry()
	p := &Probe{}
	srv, err := microkit.NewServer("probe", microkit.WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Handle(srv.NewHandler(p,
		tool.Endpoint("Probe.Read", tool.Scopes("probe:read"), tool.InputFor[probeArgs]()),
		tool.Endpoint("Probe.Admin", tool.Scopes("probe:admin"), tool.InputFor[probeArgs]()),
	)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })

	iss := oauthtest.Start(t)
	claims := iss.Claims()
	claims["scope"] = "probe:read"
	token := iss.Sign(t, "rsa-1", jwa.RS256(), claims)
	capture := oteltest.New(t)
	sink := &recordSink{}
	opts := gateway.Options{
		Registry:       reg,
		TraceProvider:  capture.TracerProvider,
		LoggerProvider: capture.LoggerProvider,
		MeterProvider:  capture.MeterProvider,
		Logger:         log.New(io.Discard, "", 0),
		AuditSinks:     []audit.Sink{sink},
		StdioToken:     token, // the stdio client's credential, verified like the HTTP one
	}
	opts.Config.Auth = gateway.AuthConfig{Resource: oauthtest.Audience, Issuer: iss.URL()}
	opts.Config.Audit = audit.DefaultConfig()
	opts.Config.Audit.PlaintextArgsTools = []string{"probe.Probe.Read", "probe.Probe.Admin"}
	opts.Config.Audit.PlaintextArgsMax = 1 << 20
	opts.Config.MaxBodyBytes = 4 << 20
	opts.Config.UnauthenticatedAuditRate = 1e6
	for _, m := range mutate {
		m(&opts)
	}
	hs := httptest.NewUnstartedServer(nil)
	gw := gatewaytest.Serve(t, hs, opts)
	return &probeEnv{probe: p, sink: sink, capture: capture, gw: gw, url: hs.URL, handler: gw.Handler(),
		token: token, iss: iss}
}

// era is how a raw request is sent: the stateless 2026-07-28 protocol, or
// a 2025-11-25 session.
type era struct {
	name    string
	modern  bool
	session string
}

// modernMeta is what a 2026-07-28 request carries in _meta besides the
// protocol version.
const modernMeta = `"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"}`

// meta is the params._meta each era's requests carry.
func (e era) meta() string {
	if e.modern {
		return `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",` + modernMeta + `}`
	}
	return `"_meta":{}`
}

// eras returns both eras, the 2025 one with a session opened on pe.
func (pe *probeEnv) eras(t *testing.T) []era {
	t.Helper()
	c := &rawClient{url: pe.url, token: pe.token}
	c.initialize(t)
	pe.sink.take()
	return []era{{name: "2026-07-28", modern: true}, {name: "2025-11-25", session: c.session}}
}

// post sends body on era e with the given Mcp-Method/Mcp-Name headers (2026
// only) and returns the status and the decoded answer.
func (pe *probeEnv) post(t testing.TB, e era, body []byte, method, name string) (int, http.Header, rawAnswer) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, pe.url+"/mcp", bytes.NewReader(body))
	pe.headers(req, e, method, name)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, decodeAnswer(t, resp.Header, raw)
}

func (pe *probeEnv) headers(req *http.Request, e era, method, name string) {
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+pe.token)
	if e.modern {
		req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
		req.Header.Set("Mcp-Method", method)
		if name != "" {
			req.Header.Set("Mcp-Name", name)
		}
	} else if e.session != "" {
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		req.Header.Set("Mcp-Session-Id", e.session)
	}
}

// rawAnswer is a JSON-RPC answer as the client got it.
type rawAnswer struct {
	ID     json.RawMessage `json:"id"`
	Result *struct {
		IsError bool           `json:"isError"`
		Meta    map[string]any `json:"_meta"`
	} `json:"result"`
	Error *struct {
		Code int64 `json:"code"`
		Data struct {
			Reason string `json:"reason"`
		} `json:"data"`
	} `json:"error"`
	Raw string `json:"-"`
}

// reason is the refusal reason the answer carries (data.reason, or the
// isError result's _meta), "" for none.
func (a rawAnswer) reason() string {
	switch {
	case a.Error != nil:
		return a.Error.Data.Reason
	case a.Result != nil && a.Result.IsError:
		s, _ := a.Result.Meta["io.tracegate/reason"].(string)
		return s
	}
	return ""
}

func decodeAnswer(t testing.TB, h http.Header, raw []byte) rawAnswer {
	t.Helper()
	a := rawAnswer{Raw: string(raw)}
	if strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
		raw = sseData(raw)
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatalf("answer is not JSON-RPC: %q: %v", raw, err)
		}
	}
	return a
}
