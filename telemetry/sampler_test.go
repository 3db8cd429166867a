package telemetry

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestEvidenceSamplerIgnoresAnUnsampledParent: a client's parent with the
// sampled flag off suppresses ordinary spans but never the gateway's
// evidence span, and the evidence span's children follow it.
func TestEvidenceSamplerIgnoresAnUnsampledParent(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec),
		sdktrace.WithSampler(EvidenceSampler(sdktrace.ParentBased(sdktrace.AlwaysSample()))))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: 0, Remote: true})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), parent)
	tr := tp.Tracer("test")

	_, plain := tr.Start(ctx, "ordinary")
	plain.End()
	ectx, ev := tr.Start(ctx, "tools/call x", trace.WithAttributes(EvidenceKey.Bool(true)))
	_, child := tr.Start(ectx, "dispatch")
	child.End()
	ev.End()

	got := map[string]bool{}
	for _, s := range rec.Ended() {
		got[s.Name()] = s.SpanContext().IsSampled()
	}
	if got["ordinary"] || !got["tools/call x"] || !got["dispatch"] {
		t.Fatalf("sampled: %v; want only the evidence span and its child", got)
	}
	if ev.SpanContext().TraceID() != parent.TraceID() {
		t.Fatal("the evidence span must stay in the client's trace")
	}
}

func TestSamplerFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name, arg, want string
		err             bool
	}{
		{"", "", "ParentBased{root:AlwaysOnSampler", false},
		{"always_off", "", "AlwaysOffSampler", false},
		{"traceidratio", "0.25", "TraceIDRatioBased{0.25}", false},
		{"parentbased_traceidratio", "0.5", "ParentBased{root:TraceIDRatioBased{0.5}", false},
		{"traceidratio", "2", "", true},
		{"jaeger_remote", "", "", true},
	} {
		env := map[string]string{"OTEL_TRACES_SAMPLER": tc.name, "OTEL_TRACES_SAMPLER_ARG": tc.arg}
		s, err := samplerFrom(func(k string) string { return env[k] })
		if (err != nil) != tc.err {
			t.Fatalf("%s %s: err %v", tc.name, tc.arg, err)
		}
		if err == nil && len(s.Description()) < len(tc.want) || err == nil && s.Description()[:len(tc.want)] != tc.want {
			t.Fatalf("%s %s: %s, want prefix %s", tc.name, tc.arg, s.Description(), tc.want)
		}
	}
}
