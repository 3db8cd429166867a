package telemetry_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/registry"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracegate/tracegate/telemetry"
)

func setup(t *testing.T, opts ...telemetry.SetupOption) telemetry.Providers {
	t.Helper()
	p, shutdown, err := telemetry.Setup(context.Background(), opts...)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = shutdown(ctx)
	})
	return p
}

func TestSetupExporterSelection(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr error
	}{
		{"all none", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"}, nil},
		{"console", map[string]string{"OTEL_TRACES_EXPORTER": "console", "OTEL_LOGS_EXPORTER": "Console", "OTEL_METRICS_EXPORTER": "none"}, nil},
		{"otlp default", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "300"}, nil},
		{"unknown", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, telemetry.ErrUnknownExporter},
		{"http protocol", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, telemetry.ErrUnsupportedProtocol},
		{"per-signal protocol", map[string]string{"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": "http/json"}, telemetry.ErrUnsupportedProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			p, shutdown, err := telemetry.Setup(context.Background())
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			if p.TracerProvider == nil || p.MeterProvider == nil || p.LoggerProvider == nil || p.Propagator == nil {
				t.Fatalf("incomplete providers: %+v", p)
			}
			// The otlp case may have no collector: errors are fine, hanging is
			// not. The deadline outlasts the 5 s export timeout, so exporters
			// close their connections before the leak check.
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			_ = shutdown(ctx)
		})
	}
}

func TestSetupResource(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test,team=blog")
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_LOGS_EXPORTER", "none")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	attrs := func(p telemetry.Providers) map[attribute.Key]string {
		m := map[attribute.Key]string{}
		for _, kv := range p.Resource.Attributes() {
			m[kv.Key] = kv.Value.String()
		}
		return m
	}
	got := attrs(setup(t, telemetry.WithServiceName("posts"), telemetry.WithServiceVersion("1.2.3"),
		telemetry.WithResourceAttributes(attribute.String("team", "default"))))
	want := map[attribute.Key]string{"service.name": "posts", "service.version": "1.2.3",
		"deployment.environment.name": "test", "team": "blog", "telemetry.sdk.language": "go"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}

	t.Setenv("OTEL_SERVICE_NAME", "from-env")
	if got := attrs(setup(t, telemetry.WithServiceName("posts"))); got["service.name"] != "from-env" {
		t.Errorf("OTEL_SERVICE_NAME did not win: %q", got["service.name"])
	}
}

func TestSetupBridgesEventsToSpans(t *testing.T) {
	t.Setenv("OTEL_LOGS_EXPORTER", "none")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	spans := tracetest.NewInMemoryExporter()
	p := setup(t, telemetry.WithServiceName("bridge"), telemetry.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(spans)))
	ctx, span := p.TracerProvider.Tracer("t").Start(context.Background(), "op")
	telemetry.NewEmitter(p.LoggerProvider, "").Emit(ctx, "thing.happened", attribute.String("k", "v"))
	span.End()
	got := spans.GetSpans()
	if len(got) != 1 || len(got[0].Events) != 1 || got[0].Events[0].Name != "thing.happened" {
		t.Fatalf("spans = %+v", got)
	}
	if got[0].Resource.Set().Len() == 0 {
		t.Fatal("span without resource")
	}
}

// TestClosedCollectorNeverFailsCalls points every exporter at a closed port:
// calls and events still succeed and shutdown returns within its deadline.
func TestClosedCollectorNeverFailsCalls(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+addr)
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "300")

	p, shutdown, err := telemetry.Setup(context.Background(), telemetry.WithServiceName("closed"), telemetry.WithExportLogger(nil))
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	tp := telemetry.WithTracerProvider(p.TracerProvider)
	reg := registry.NewMemoryRegistry()
	startEcho(t, reg, "closed", &Echo{}, telemetry.NewHandlerWrapper(tp))
	c := newClient(t, reg, client.Wrap(telemetry.NewClientWrapper(tp)))
	em := telemetry.NewEmitter(p.LoggerProvider, "")
	for i := 0; i < 50; i++ {
		ctx, span := p.TracerProvider.Tracer("t").Start(context.Background(), "root")
		if err := c.Call(ctx, c.NewRequest("closed", "Echo.Call", &EchoRequest{Text: "x"}), &EchoResponse{}); err != nil {
			t.Fatalf("call %d failed with a dead collector: %v", i, err)
		}
		em.Emit(ctx, "still.here")
		span.End()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- shutdown(ctx) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("shutdown ignored its deadline")
	}
	// Refused connections are counted, not hidden: nothing exported, and
	// every span the 50 calls made (client and server spans, and the roots)
	// failed or was dropped.
	tr := p.ExportCounts()[telemetry.SignalTraces]
	if tr.Exported != 0 || tr.Failed+tr.Dropped < 150 {
		t.Errorf("traces = %+v, want nothing exported and at least 150 failed or dropped", tr)
	}
	if lg := p.ExportCounts()[telemetry.SignalLogs]; lg.Exported != 0 || lg.Failed+lg.Dropped < 50 {
		t.Errorf("logs = %+v, want nothing exported and at least 50 failed or dropped", lg)
	}
}
