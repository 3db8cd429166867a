package load_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"go-micro.dev/v5/client"
	mbytes "go-micro.dev/v5/codec/bytes"
	gomicro "go-micro.dev/v5/gateway/mcp"
	"go-micro.dev/v5/server"
	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracegate/tracegate/e2e/peer/load"
	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/oauthtest"
	"github.com/tracegate/tracegate/telemetry"
)

// readTool is the call under test: one user read, through every target.
const readTool = users.Name + "." + users.EndpointRead

// callTimeout bounds one HTTP call: beyond it the call is Unserved.
const callTimeout = 10 * time.Second

// bench is the blog with one user, and what every target shares: the
// count of reads the users service handled and one HTTP client.
type bench struct {
	blog    *blogtest.Stack
	userID  string
	args    []byte // {"id": userID}
	handled atomic.Int64
	hc      *http.Client
}

func startBench(t testing.TB) *bench {
	t.Helper()
	b := &bench{}
	count := func(next server.HandlerFunc) server.HandlerFunc {
		return func(ctx context.Context, req server.Request, rsp any) error {
			if req.Endpoint() == users.EndpointRead {
				b.handled.Add(1)
			}
			return next(ctx, req, rsp)
		}
	}
	b.blog = blogtest.Start(t, blogtest.Options{HandlerWrappers: []server.HandlerWrapper{count}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := b.blog.Users.Create(ctx, &users.CreateRequest{Name: "load", Email: "load@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	b.userID, b.args = u.User.ID, []byte(`{"id":"`+u.User.ID+`"}`)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 4096, 2048 // no reconnect per call at 64 callers or 1,000 calls/s
	b.hc = &http.Client{Transport: tr, Timeout: callTimeout}
	t.Cleanup(tr.CloseIdleConnections)
	return b
}

// lostAnswer tells go-micro's transport timeout (408) from other failures.
func lostAnswer(text []byte) bool {
	return bytes.Contains(text, []byte("Request Timeout")) || bytes.Contains(text, []byte(`"code":408`))
}

// classify judges an answer that must carry the user's id.
func (b *bench) classify(status int, body []byte, err error) (load.Outcome, error) {
	var ne net.Error
	switch {
	case err != nil && (errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)):
		return load.Unserved, err
	case err != nil:
		return load.Failed, err
	case lostAnswer(body):
		return load.Lost, nil
	case status != http.StatusOK || !bytes.Contains(body, []byte(b.userID)) || bytes.Contains(body, []byte(`"isError":true`)):
		return load.Failed, fmt.Errorf("status %d: %.300s", status, body)
	}
	return load.OK, nil
}

func (b *bench) post(req *http.Request) (load.Outcome, error) {
	resp, err := b.hc.Do(req)
	if err != nil {
		return b.classify(0, nil, err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return b.classify(resp.StatusCode, body, err)
}

// direct calls the service with the go-micro client, no retries.
func (b *bench) direct() load.Target {
	cli := b.blog.Client
	return load.Target{Name: "direct go-micro RPC", Call: func(ctx context.Context, _ int) (load.Outcome, error) {
		req := cli.NewRequest(users.Name, users.EndpointRead, &mbytes.Frame{Data: b.args})
		var rsp mbytes.Frame
		if err := cli.Call(ctx, req, &rsp, client.WithRetries(0)); err != nil {
			if lostAnswer([]byte(err.Error())) {
				return load.Lost, nil
			}
			return load.Failed, err
		}
		return b.classify(http.StatusOK, rsp.Data, nil)
	}}
}

// goMicro serves go-micro's gateway/mcp (anonymous, traced by tp) and calls
// it with its own HTTP body (POST /mcp/call {"tool","input"}). go-micro's
// Serve returns no handle: its server lives until the process ends.
func (b *bench) goMicro(t testing.TB, tp *sdktrace.TracerProvider) load.Target {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cli, err := microkit.NewClient(microkit.WithRegistry(b.blog.Registry))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- gomicro.Serve(gomicro.Options{
			Registry: b.blog.Registry, Address: addr, Client: cli, Context: context.Background(),
			Logger: log.New(io.Discard, "", 0), TraceProvider: tp,
		})
	}()
	url := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("go-micro gateway: %v", err)
		default:
		}
		if resp, err := b.hc.Get(url + "/health"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("go-micro gateway did not come up")
		}
	}
	body := []byte(`{"tool":"` + readTool + `","input":` + string(b.args) + `}`)
	return load.Target{Name: "go-micro gateway/mcp", Call: func(ctx context.Context, _ int) (load.Outcome, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/mcp/call", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return b.post(req)
	}}
}

// tracegate serves a gateway built with opts on 127.0.0.1 and calls it
// with raw stateless MCP 2026-07-28 requests (headers and _meta as the
// go-sdk v1.8.0 client sends them); bearer gives caller i's token, if any.
func (b *bench) tracegate(t testing.TB, name string, opts gateway.Options, bearer func(caller int) string) load.Target {
	t.Helper()
	url := b.serveGateway(t, opts)
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{` +
		`"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"load","version":"1"},` +
		`"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"name":"` + readTool + `","arguments":` + string(b.args) + `}}`)
	return load.Target{Name: name, Call: func(ctx context.Context, caller int) (load.Outcome, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		h := req.Header
		h.Set("Content-Type", "application/json")
		h.Set("Accept", "application/json, text/event-stream")
		h.Set("Mcp-Protocol-Version", "2026-07-28")
		h.Set("Mcp-Method", "tools/call")
		h.Set("Mcp-Name", readTool)
		if bearer != nil {
			h.Set("Authorization", "Bearer "+bearer(caller))
		}
		return b.post(req)
	}}
}

// serveGateway starts a gateway on the blog's registry behind an httptest
// server (stopped at cleanup) and returns its MCP endpoint's URL.
func (b *bench) serveGateway(t testing.TB, opts gateway.Options) string {
	t.Helper()
	opts.Registry = b.blog.Registry
	opts.Logger = log.New(io.Discard, "", 0)
	if opts.IdentityKey == nil {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		opts.IdentityKey = key
	}
	gw, err := gateway.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := gw.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		_ = gw.Close()
	})
	return srv.URL + gateway.MCPPath
}

// sdkTelemetry is real OTel SDK providers exporting nowhere: spans batched
// to a no-op exporter, log records bridged to span events and batched to a
// counting exporter, metrics aggregated for a reader nobody calls.
type sdkTelemetry struct {
	tp     *sdktrace.TracerProvider
	lp     *sdklog.LoggerProvider
	mp     *metric.MeterProvider
	audits *countExporter
}

func newSDKTelemetry(t testing.TB) *sdkTelemetry {
	s := &sdkTelemetry{audits: &countExporter{}}
	s.tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	s.lp = sdklog.NewLoggerProvider(
		sdklog.WithProcessor(telemetry.NewSpanEventProcessor()),
		sdklog.WithProcessor(sdklog.NewBatchProcessor(s.audits)))
	s.mp = metric.NewMeterProvider(metric.WithReader(metric.NewManualReader()))
	t.Cleanup(func() {
		ctx := context.Background()
		_ = s.tp.Shutdown(ctx)
		_ = s.lp.Shutdown(ctx)
		_ = s.mp.Shutdown(ctx)
	})
	return s
}

func (s *sdkTelemetry) apply(o *gateway.Options) {
	o.TraceProvider, o.LoggerProvider, o.MeterProvider = s.tp, s.lp, s.mp
}

// okAudits counts exported audit events of successful calls (after a flush).
func (s *sdkTelemetry) okAudits() int64 {
	_ = s.lp.ForceFlush(context.Background())
	return s.audits.ok.Load()
}

// countExporter discards log records, counting audit events of ok calls.
type countExporter struct{ ok atomic.Int64 }

func (c *countExporter) Export(_ context.Context, recs []sdklog.Record) error {
	for _, r := range recs {
		if r.EventName() != audit.EventName {
			continue
		}
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			if string(kv.Key) == audit.AttrOutcome && kv.Value.AsString() == string(audit.OutcomeOK) {
				c.ok.Add(1)
				return false
			}
			return true
		})
	}
	return nil
}
func (c *countExporter) Shutdown(context.Context) error   { return nil }
func (c *countExporter) ForceFlush(context.Context) error { return nil }

// targets builds the five targets; each returns, besides, a counter of the
// successful calls it recorded (audit records with outcome ok), or nil.
type counted struct {
	load.Target
	audited func() int64
}

func (b *bench) targets(t testing.TB) []counted {
	t.Helper()
	// go-micro's gateway gets the same kind of tracing as tracegate anonymous.
	gmTel := newSDKTelemetry(t)
	out := []counted{{Target: b.direct()}, {Target: b.goMicro(t, gmTel.tp)}}

	// off: no-op providers (the gateway's defaults), audit to a callback only.
	var offAudits atomic.Int64
	off := gateway.Options{Config: gateway.DefaultConfig(), AuditFunc: func(r audit.AuditRecord) {
		if r.Kind == string(audit.KindCall) && r.Outcome == string(audit.OutcomeOK) {
			offAudits.Add(1)
		}
	}}
	off.Config.Auth.Anonymous = true
	out = append(out, counted{b.tracegate(t, "tracegate off", off, nil), offAudits.Load})

	// anonymous: real SDK telemetry, default audit (OTel events only).
	anonTel := newSDKTelemetry(t)
	anon := gateway.Options{Config: gateway.DefaultConfig()}
	anon.Config.Auth.Anonymous = true
	anonTel.apply(&anon)
	out = append(out, counted{b.tracegate(t, "tracegate anonymous", anon, nil), anonTel.okAudits})

	// full: JWT, three limiters (generous: none refuses), blocking audit to
	// a file, real SDK telemetry.
	iss := oauthtest.Start(t)
	fullTel := newSDKTelemetry(t)
	full := gateway.Options{Config: gateway.DefaultConfig()}
	full.Config.Auth = gateway.AuthConfig{Resource: oauthtest.Audience, Issuer: iss.URL()}
	huge := policy.Limit{Rate: 1e6, Burst: 1e6}
	full.Config.Policy.RateLimit.Tools = []policy.ToolLimit{{Tool: users.Name + ".*", Limit: huge}}
	full.Config.Policy.RateLimit.Account = huge
	full.Config.Policy.RateLimit.AccountTool = []policy.ToolLimit{{Tool: "*", Limit: huge}}
	auditFile := filepath.Join(t.TempDir(), "audit.jsonl")
	full.Config.Audit.Mode = audit.ModeBlocking
	full.Config.Audit.File.Path = auditFile
	fullTel.apply(&full)
	tokens := make([]string, load.OpenLoopCallers)
	for i := range tokens {
		c := iss.Claims()
		c["sub"] = fmt.Sprint("caller-", i)
		c["exp"] = time.Now().Add(time.Hour).Unix()
		tokens[i] = iss.Sign(t, "rsa-1", jwa.RS256(), c)
	}
	bearer := func(caller int) string { return tokens[caller%len(tokens)] }
	out = append(out, counted{b.tracegate(t, "tracegate full policy", full, bearer), func() int64 { return okLines(t, auditFile) }})
	return out
}

// okLines counts the audit file's records of successful calls, in every
// segment (a rotated file continues in path's siblings).
func okLines(t testing.TB, path string) int64 {
	files, err := filepath.Glob(strings.TrimSuffix(path, ".jsonl") + "*")
	if err != nil || len(files) == 0 {
		t.Fatalf("audit file %s: %v", path, err)
	}
	var n int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("audit file: %v", err)
		}
		for l := range strings.SplitSeq(string(b), "\n") {
			if strings.Contains(l, `"kind":"call"`) && strings.Contains(l, `"outcome":"ok"`) {
				n++
			}
		}
	}
	return n
}
