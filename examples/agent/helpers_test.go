package agent_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"go-micro.dev/v5/registry"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracegate/tracegate/examples/authserver"
	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/internal/gatewaytest"
	"github.com/tracegate/tracegate/telemetry"
)

// stack is the demo topology in-process: the blog on a memory registry, the
// dev authserver and the gateway with JWT auth, each "process" with its own
// tracer provider, all recording into one SpanRecorder.
type stack struct {
	gatewayURL, authURL string
	spans               *tracetest.SpanRecorder
	transport           *http.Transport
}

func newTracerProvider(t *testing.T, rec *tracetest.SpanRecorder) *sdktrace.TracerProvider {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

func startStack(t *testing.T) *stack {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	st := &stack{spans: rec, transport: &http.Transport{}}
	t.Cleanup(st.transport.CloseIdleConnections)

	as := httptest.NewUnstartedServer(nil)
	gs := httptest.NewUnstartedServer(nil)
	st.authURL = "http://" + as.Listener.Addr().String()
	st.gatewayURL = "http://" + gs.Listener.Addr().String() + gateway.MCPPath

	acfg := authserver.DefaultConfig()
	acfg.Issuer, acfg.Audience = st.authURL, st.gatewayURL
	srv, err := authserver.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	as.Config.Handler = srv.Handler()
	as.Start()
	t.Cleanup(as.Close)

	reg := registry.NewMemoryRegistry()
	blogtest.Start(t, blogtest.Options{Registry: reg, TracerProvider: newTracerProvider(t, rec)})

	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(telemetry.NewSpanEventProcessor()))
	t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
	cfg := gateway.DefaultConfig()
	cfg.Auth = gateway.AuthConfig{Issuer: st.authURL, Resource: st.gatewayURL}
	cfg.Policy.RateLimit.AccountTool = []policy.ToolLimit{{Tool: "*", Limit: policy.Limit{Rate: 100, Burst: 100}}}
	gatewaytest.Serve(t, gs, gateway.Options{
		Registry:       reg,
		TraceProvider:  newTracerProvider(t, rec),
		LoggerProvider: lp,
		Propagator:     telemetry.NewPropagator(),
		Logger:         log.New(io.Discard, "", 0),
		Config:         cfg,
	})
	return st
}

// spanByName returns the ended spans named name.
func spansByName(spans []sdktrace.ReadOnlySpan, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// attr returns the string form of a span attribute.
func attr(s sdktrace.ReadOnlySpan, key string) (string, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String(), true
		}
	}
	return "", false
}

// hasEvent tells whether s has a span event named name.
func hasEvent(s sdktrace.ReadOnlySpan, name string) bool {
	for _, e := range s.Events() {
		if e.Name == name {
			return true
		}
	}
	return false
}
