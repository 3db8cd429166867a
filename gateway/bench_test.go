package gateway_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go-micro.dev/v5/client"
	"go-micro.dev/v5/codec/bytes"
	"go-micro.dev/v5/transport"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/internal/gatewaytest"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/oauthtest"
	"github.com/tracegate/tracegate/telemetry"
)

// The benchmarks in this file measure one tools/call of users.Users.Read
// through the whole pipeline, against the real blog services on the go-micro
// HTTP transport (127.0.0.1). Telemetry is wired like production (SDK
// providers, batch processors, the span-event bridge) but exports to
// nowhere, so what is measured is the gateway, not an exporter. Speed goals
// are ratios to a baseline measured in the same run (see docs/benchmarks.md),
// never timed assertions.

// benchTool is the tool every benchmark calls.
const benchTool = users.Name + "." + users.EndpointRead

// benchTelemetry holds SDK providers that export to nowhere.
type benchTelemetry struct {
	tp *sdktrace.TracerProvider
	lp *sdklog.LoggerProvider
	mp *sdkmetric.MeterProvider
}

// discardLogs is a log exporter that drops everything.
type discardLogs struct{}

func (discardLogs) Export(context.Context, []sdklog.Record) error { return nil }
func (discardLogs) Shutdown(context.Context) error                { return nil }
func (discardLogs) ForceFlush(context.Context) error              { return nil }

func newBenchTelemetry(b testing.TB) *benchTelemetry {
	b.Helper()
	t := &benchTelemetry{
		tp: sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter())),
		lp: sdklog.NewLoggerProvider(
			sdklog.WithProcessor(telemetry.NewSpanEventProcessor()),
			sdklog.WithProcessor(sdklog.NewBatchProcessor(discardLogs{})),
		),
		mp: sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())),
	}
	b.Cleanup(func() {
		ctx := context.Background()
		_ = t.tp.Shutdown(ctx)
		_ = t.lp.Shutdown(ctx)
		_ = t.mp.Shutdown(ctx)
	})
	return t
}

// benchStack is the blog on a memory registry, traced by tel, with one user
// to read. The services do not run the guard: the direct-RPC baseline calls
// them without a downstream identity, and both paths must hit the same
// server code.
type benchStack struct {
	tel    *benchTelemetry
	stack  *blogtest.Stack
	dialer *benchDialer
	userID string
	args   map[string]any
}

// benchDialer is go-micro's HTTP transport that remembers the connections it
// dialed. go-micro clients pool connections and no Close releases them; the
// services' connection goroutines would outlive the benchmark (goleak).
type benchDialer struct {
	transport.Transport
	mu    sync.Mutex
	conns []transport.Client
}

func (d *benchDialer) Dial(addr string, opts ...transport.DialOption) (transport.Client, error) {
	c, err := d.Transport.Dial(addr, opts...)
	if err == nil {
		d.mu.Lock()
		d.conns = append(d.conns, c)
		d.mu.Unlock()
	}
	return c, err
}

func (d *benchDialer) closeAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		_ = c.Close()
	}
	d.conns = nil
}

// client is a go-micro client on the stack's registry whose connections are
// closed with the stack, wrapped by wrappers.
func (s *benchStack) client(b testing.TB, wrappers ...client.CallWrapper) client.Client {
	b.Helper()
	cli, err := microkit.NewClient(
		microkit.WithRegistry(s.stack.Registry),
		microkit.WithTransport(s.dialer),
		microkit.WithCallWrappers(wrappers...),
	)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cli.Close() })
	return cli
}

func newBenchStack(b testing.TB) *benchStack {
	b.Helper()
	tel := newBenchTelemetry(b)
	st := blogtest.Start(b, blogtest.Options{TracerProvider: tel.tp, LoggerProvider: tel.lp})
	s := &benchStack{tel: tel, stack: st, dialer: &benchDialer{Transport: transport.NewHTTPTransport()}}
	// Registered after the services' Stop, so it runs before it.
	b.Cleanup(s.dialer.closeAll)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := users.NewClient(s.client(b)).Create(ctx, &users.CreateRequest{Name: "bench", Email: "bench@example.com", Roles: []string{"author"}})
	if err != nil {
		b.Fatalf("create user: %v", err)
	}
	s.userID, s.args = u.User.ID, map[string]any{"id": u.User.ID}
	return s
}

// gateway starts a gateway over the stack, configured like newEnv's (anonymous,
// default audit: blocking, no file) and then by mutate.
func (s *benchStack) gateway(b testing.TB, mutate ...func(*gateway.Options)) *gateway.Gateway {
	b.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	// The client the gateway would build itself (see build.go), on the
	// stack's dialer so that its pooled connections are closed at the end.
	cli := s.client(b, telemetry.NewCallWrapper(
		telemetry.WithTracerProvider(s.tel.tp),
		telemetry.WithPropagators(telemetry.NewPropagator())))
	opts := gateway.Options{
		IdentityKey:    key,
		Registry:       s.stack.Registry,
		Client:         cli,
		TraceProvider:  s.tel.tp,
		MeterProvider:  s.tel.mp,
		LoggerProvider: s.tel.lp,
		Logger:         log.New(io.Discard, "", 0),
		Config:         gateway.Config{Auth: gateway.AuthConfig{Anonymous: true}},
	}
	for _, m := range mutate {
		m(&opts)
	}
	return gatewaytest.Start(b, opts)
}

// benchJWT returns gateway options that require JWTs from a test issuer and a
// valid token for them (scopes blog:read blog:write, valid for an hour).
func benchJWT(b testing.TB) (func(*gateway.Options), string) {
	b.Helper()
	iss := oauthtest.Start(b)
	claims := iss.Claims()
	claims["exp"] = time.Now().Add(time.Hour).Unix()
	token := iss.Sign(b, "rsa-1", jwa.RS256(), claims)
	return func(o *gateway.Options) {
		o.Config.Auth = gateway.AuthConfig{Resource: oauthtest.Audience, Issuer: iss.URL()}
	}, token
}

// benchLimits turns on every in-memory limiter (per tool, per account, per
// account and tool) with limits no benchmark reaches.
func benchLimits(o *gateway.Options) {
	huge := policy.Limit{Rate: 1e9, Burst: 1 << 30}
	o.Config.Policy.RateLimit = policy.RateLimitConfig{
		Tools:       []policy.ToolLimit{{Tool: "*", Limit: huge}},
		Account:     huge,
		AccountTool: []policy.ToolLimit{{Tool: "*", Limit: huge}},
	}
}

// benchStrictAudit writes a hash-chained audit file in strict mode (an
// fsynced intent entry before dispatch and an fsynced record after).
func benchStrictAudit(b testing.TB) func(*gateway.Options) {
	path := filepath.Join(b.TempDir(), "audit.jsonl")
	return func(o *gateway.Options) {
		o.Config.Audit = audit.DefaultConfig()
		o.Config.Audit.Mode = audit.ModeStrict
		o.Config.Audit.File.Path = path
	}
}

// connectMemory opens an in-process MCP session on gw (over the stdio
// transport).
func connectMemory(b testing.TB, gw *gateway.Gateway) *mcp.ClientSession {
	b.Helper()
	return gatewaytest.Connect(b, gw, &mcp.ClientOptions{})
}

// serveBench serves gw on an httptest server bound to 127.0.0.1 and returns
// its URL and an HTTP client of its own (its idle connections are closed
// with the server).
func serveBench(b testing.TB, gw *gateway.Gateway) (string, *http.Client) {
	b.Helper()
	srv := httptest.NewServer(gw.Handler())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	hc := &http.Client{Transport: tr}
	b.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL, hc
}

// connectBenchHTTP opens a go-sdk session over streamable HTTP; era
// "2025-11-25" forces the session era, "" negotiates 2026-07-28 (stateless).
func connectBenchHTTP(b testing.TB, url string, hc *http.Client, era, want string) *mcp.ClientSession {
	b.Helper()
	tr := &mcp.StreamableClientTransport{Endpoint: url + gateway.MCPPath, HTTPClient: hc, MaxRetries: -1}
	var opts *mcp.ClientSessionOptions
	if era != "" {
		opts = &mcp.ClientSessionOptions{ProtocolVersion: era}
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench-http-agent", Version: "1"}, nil).Connect(context.Background(), tr, opts)
	if err != nil {
		b.Fatalf("connect %s: %v", want, err)
	}
	b.Cleanup(func() { _ = cs.Close() })
	if got := cs.InitializeResult().ProtocolVersion; got != want {
		b.Fatalf("negotiated %q, want %q", got, want)
	}
	return cs
}

// goMicroStall tells whether a failure is go-micro's client giving up on a
// request that got no answer within its connection timeout (5 s): a 408
// "Request Timeout" with detail "<nil>". On this machine go-micro's HTTP
// transport does that about once every few thousand sequential calls, with
// or without tracegate in the path (see docs/benchmarks.md). go-micro's
// default client retries it; the gateway dispatches with retries off, so
// there it becomes a tool error.
func goMicroStall(msg string) bool {
	return strings.Contains(msg, "408") && strings.Contains(msg, "Request Timeout")
}

// stallCounter counts stalls in a measured loop; the stalled calls stay in
// ns/op (that is what a caller waits), and a "stalls" metric says so.
type stallCounter struct{ n int }

func (c *stallCounter) report(b *testing.B) {
	if c.n > 0 {
		b.ReportMetric(float64(c.n), "stalls")
	}
}

// ratio reports ns/op over a baseline measured earlier in the same run as
// the metric unit (x-direct, x-anonymous). Runs with stalls neither set the
// baseline nor get a ratio: a 5 s stall says nothing about per-call cost.
type ratio struct {
	unit string
	base float64
}

func (r *ratio) baseline(b *testing.B, stalls int) {
	if stalls == 0 {
		r.base = nsPerOp(b)
	}
}

func (r *ratio) report(b *testing.B, stalls int) {
	if stalls == 0 && r.base > 0 {
		b.ReportMetric(nsPerOp(b)/r.base, r.unit)
	}
}

// loopCallTool runs the measured loop: one tools/call per iteration, every
// result checked (a benchmark of refusals would be meaningless). It returns
// the number of stalls.
func loopCallTool(b *testing.B, cs *mcp.ClientSession, args map[string]any) int {
	b.Helper()
	ctx := context.Background()
	params := &mcp.CallToolParams{Name: benchTool, Arguments: args}
	var stalls stallCounter
	// One call outside the timer: first-use costs (selector cache, JWKS
	// fetch, connection set-up) are not per-call costs.
	benchCheck(b, cs, ctx, params, &stalls)
	stalls.n = 0
	b.ReportAllocs()
	for b.Loop() {
		benchCheck(b, cs, ctx, params, &stalls)
	}
	stalls.report(b)
	return stalls.n
}

func benchCheck(b *testing.B, cs *mcp.ClientSession, ctx context.Context, params *mcp.CallToolParams, stalls *stallCounter) {
	res, err := cs.CallTool(ctx, params)
	if err != nil {
		b.Fatalf("tools/call: %v", err)
	}
	if res.IsError {
		if text, ok := res.Content[0].(*mcp.TextContent); ok && goMicroStall(text.Text) {
			stalls.n++
			return
		}
		b.Fatalf("tools/call: tool error %+v", res.Content)
	}
}

// nsPerOp is the measured time per iteration once b.Loop has returned.
func nsPerOp(b *testing.B) float64 {
	if b.N == 0 {
		return 0
	}
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}

// BenchmarkToolCall is one tools/call through the full pipeline in process:
// go-sdk client over in-memory transports, tracing (SDK provider), admission,
// audit, dispatch to users.Users.Read over go-micro's HTTP transport.
//
//   - anonymous: no authentication, audit blocking without a file
//     (OTel events only), no limiter.
//   - jwt: RS256 JWT verified on every call (the non-HTTP transports verify
//     the configured credential per request), scopes authorized.
//   - jwt-limit-strict: jwt plus the three in-memory limiters and strict
//     audit to a hash-chained file (two fsyncs per call).
//
// x-anonymous is the sub-benchmark's ns/op over anonymous's in the same run
// (the latest anonymous run without stalls).
func BenchmarkToolCall(b *testing.B) {
	s := newBenchStack(b)
	r := &ratio{unit: "x-anonymous"}
	for _, tc := range []struct {
		name   string
		mutate func(b *testing.B) []func(*gateway.Options)
	}{
		{"anonymous", func(*testing.B) []func(*gateway.Options) { return nil }},
		{"jwt", func(b *testing.B) []func(*gateway.Options) {
			auth, token := benchJWT(b)
			return []func(*gateway.Options){auth, func(o *gateway.Options) { o.StdioToken = token }}
		}},
		{"jwt-limit-strict", func(b *testing.B) []func(*gateway.Options) {
			auth, token := benchJWT(b)
			return []func(*gateway.Options){auth, func(o *gateway.Options) { o.StdioToken = token }, benchLimits, benchStrictAudit(b)}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			gw := s.gateway(b, tc.mutate(b)...)
			cs := connectMemory(b, gw)
			stalls := loopCallTool(b, cs, s.args)
			if tc.name == "anonymous" {
				r.baseline(b, stalls)
			} else {
				r.report(b, stalls)
			}
		})
	}
}

// BenchmarkHTTPvsDirect measures, in one run and against the same services,
// a go-micro client calling users.Users.Read directly (raw JSON in a
// bytes.Frame, as the gateway dispatches; with and without the OTel client
// wrapper the gateway uses) and the same read as an MCP tools/call from a
// go-sdk client over streamable HTTP to the gateway on 127.0.0.1, in both
// protocol eras. The gateway is anonymous with the default audit (blocking,
// no file). x-direct is the sub-benchmark's ns/op over direct-rpc's (the
// latest direct-rpc run without stalls).
func BenchmarkHTTPvsDirect(b *testing.B) {
	s := newBenchStack(b)
	gw := s.gateway(b)
	url, hc := serveBench(b, gw)
	raw := []byte(`{"id":"` + s.userID + `"}`)
	r := &ratio{unit: "x-direct"}
	direct := func(b *testing.B, cli client.Client) int {
		ctx := context.Background()
		var stalls stallCounter
		one := func() {
			req := cli.NewRequest(users.Name, users.EndpointRead, &bytes.Frame{Data: raw})
			var rsp bytes.Frame
			// Retries off, as the gateway dispatches.
			if err := cli.Call(ctx, req, &rsp, client.WithRetries(0)); err != nil {
				if goMicroStall(err.Error()) {
					stalls.n++
					return
				}
				b.Fatalf("direct call: %v", err)
			}
			if len(rsp.Data) == 0 {
				b.Fatal("direct call: empty response")
			}
		}
		one()
		stalls.n = 0
		b.ReportAllocs()
		for b.Loop() {
			one()
		}
		stalls.report(b)
		return stalls.n
	}
	b.Run("direct-rpc", func(b *testing.B) {
		r.baseline(b, direct(b, s.client(b)))
	})
	b.Run("direct-rpc-traced", func(b *testing.B) {
		r.report(b, direct(b, s.client(b, telemetry.NewCallWrapper(
			telemetry.WithTracerProvider(s.tel.tp),
			telemetry.WithPropagators(telemetry.NewPropagator())))))
	})
	b.Run("mcp-http-2026", func(b *testing.B) {
		cs := connectBenchHTTP(b, url, hc, "", "2026-07-28")
		r.report(b, loopCallTool(b, cs, s.args))
	})
	b.Run("mcp-http-2025", func(b *testing.B) {
		cs := connectBenchHTTP(b, url, hc, "2025-11-25", "2025-11-25")
		r.report(b, loopCallTool(b, cs, s.args))
	})
}
