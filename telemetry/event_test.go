package telemetry_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/tracegate/tracegate/internal/oteltest"
	"github.com/tracegate/tracegate/telemetry"
)

func TestEmitterEventIsLogRecordAndSpanEvent(t *testing.T) {
	capture := oteltest.New(t)
	ctx, span := capture.TracerProvider.Tracer("t").Start(context.Background(), "op")
	capture.Emitter.Emit(ctx, "blog.post.created", attribute.String("blog.post.id", "post-1"), attribute.Int("n", 3))
	span.End()

	recs := capture.LogsNamed("blog.post.created")
	if len(recs) != 1 {
		t.Fatalf("log records = %d, want 1", len(recs))
	}
	rec := recs[0]
	if rec.TraceID() != span.SpanContext().TraceID() || rec.SpanID() != span.SpanContext().SpanID() {
		t.Fatalf("record ids %s/%s, want span's %s/%s", rec.TraceID(), rec.SpanID(),
			span.SpanContext().TraceID(), span.SpanContext().SpanID())
	}
	attrs := oteltest.Attrs(rec)
	if attrs["blog.post.id"].AsString() != "post-1" || attrs["n"].AsInt64() != 3 {
		t.Fatalf("record attributes = %v", attrs)
	}

	stub, ok := capture.SpanNamed("op")
	if !ok || len(stub.Events) != 1 {
		t.Fatalf("span events = %+v", stub.Events)
	}
	ev := stub.Events[0]
	if ev.Name != "blog.post.created" {
		t.Fatalf("event name = %q", ev.Name)
	}
	got := map[attribute.Key]attribute.Value{}
	for _, kv := range ev.Attributes {
		got[kv.Key] = kv.Value
	}
	if got["blog.post.id"].AsString() != "post-1" || got["n"].AsInt64() != 3 ||
		got[telemetry.EventNameKey].AsString() != "blog.post.created" {
		t.Fatalf("span event attributes = %v", got)
	}
}

func TestEmitterWithoutSpanOnlyLogs(t *testing.T) {
	capture := oteltest.New(t)
	capture.Emitter.Emit(context.Background(), "lonely")
	if n := len(capture.LogsNamed("lonely")); n != 1 {
		t.Fatalf("records = %d, want 1", n)
	}
	if n := len(capture.Spans()); n != 0 {
		t.Fatalf("spans = %d, want 0", n)
	}
}

func TestNilEmitterIsSafe(t *testing.T) {
	var e *telemetry.Emitter
	e.Emit(context.Background(), "nothing")
	telemetry.NewEmitter(nil, "").Emit(context.Background(), "noop provider")
}
