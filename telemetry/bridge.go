package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/trace"
)

// EventNameKey is added to every mirrored span event: Jaeger's tag search
// matches span-log fields but not the span-log name.
const EventNameKey = attribute.Key("event.name")

// SpanEventProcessor is the OTel "event to span event bridge": a log processor
// that mirrors every log record carrying an EventName onto the recording span
// of the context it was emitted with, as a span event with the same name,
// timestamp and attributes. Records without an EventName, or emitted without a
// recording span, pass untouched. Register it before the exporting processor.
type SpanEventProcessor struct{}

var _ sdklog.Processor = SpanEventProcessor{}

// NewSpanEventProcessor returns the bridge processor.
func NewSpanEventProcessor() SpanEventProcessor { return SpanEventProcessor{} }

// OnEmit adds the span event.
func (SpanEventProcessor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	name := r.EventName()
	if name == "" {
		return nil
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() || span.SpanContext().TraceID() != r.TraceID() {
		return nil
	}
	attrs := make([]attribute.KeyValue, 0, r.AttributesLen()+1)
	attrs = append(attrs, EventNameKey.String(name))
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		attrs = append(attrs, kv)
		return true
	})
	span.AddEvent(name, trace.WithTimestamp(r.Timestamp()), trace.WithAttributes(attrs...))
	return nil
}

// Enabled reports interest in event records only.
func (SpanEventProcessor) Enabled(_ context.Context, p sdklog.EnabledParameters) bool {
	return p.EventName != ""
}

// Shutdown does nothing: the processor holds no state.
func (SpanEventProcessor) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing: events are added synchronously.
func (SpanEventProcessor) ForceFlush(context.Context) error { return nil }
