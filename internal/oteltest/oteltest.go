// Package oteltest gives tests in-memory OpenTelemetry providers wired like
// production: spans recorded synchronously, the span-event bridge in the
// logger provider, log records kept for assertions, metrics on a manual reader.
package oteltest

import (
	"context"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracegate/tracegate/telemetry"
)

// Capture holds in-memory providers and what they recorded.
type Capture struct {
	TracerProvider *sdktrace.TracerProvider
	LoggerProvider *sdklog.LoggerProvider
	MeterProvider  *sdkmetric.MeterProvider
	Emitter        *telemetry.Emitter

	spans  *tracetest.InMemoryExporter
	logs   *LogExporter
	reader *sdkmetric.ManualReader
}

// New returns a Capture whose providers shut down with the test.
func New(t testing.TB) *Capture {
	t.Helper()
	c := &Capture{
		spans:  tracetest.NewInMemoryExporter(),
		logs:   &LogExporter{},
		reader: sdkmetric.NewManualReader(),
	}
	c.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSyncer(c.spans))
	c.LoggerProvider = sdklog.NewLoggerProvider(
		sdklog.WithProcessor(telemetry.NewSpanEventProcessor()),
		sdklog.WithProcessor(sdklog.NewSimpleProcessor(c.logs)),
	)
	c.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(c.reader))
	c.Emitter = telemetry.NewEmitter(c.LoggerProvider, "oteltest")
	t.Cleanup(func() {
		ctx := context.Background()
		_ = c.TracerProvider.Shutdown(ctx)
		_ = c.LoggerProvider.Shutdown(ctx)
		_ = c.MeterProvider.Shutdown(ctx)
	})
	return c
}

// Spans returns the ended spans, in end order.
func (c *Capture) Spans() tracetest.SpanStubs { return c.spans.GetSpans() }

// SpanNamed returns the first ended span with that name.
func (c *Capture) SpanNamed(name string) (tracetest.SpanStub, bool) {
	for _, s := range c.spans.GetSpans() {
		if s.Name == name {
			return s, true
		}
	}
	return tracetest.SpanStub{}, false
}

// Reset forgets recorded spans and log records.
func (c *Capture) Reset() {
	c.spans.Reset()
	c.logs.Reset()
}

// Logs returns the exported log records.
func (c *Capture) Logs() []sdklog.Record { return c.logs.Records() }

// LogsNamed returns the exported log records with that event name.
func (c *Capture) LogsNamed(name string) []sdklog.Record {
	var out []sdklog.Record
	for _, r := range c.logs.Records() {
		if r.EventName() == name {
			out = append(out, r)
		}
	}
	return out
}

// Metrics collects the current metrics.
func (c *Capture) Metrics(t testing.TB) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := c.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect metrics: %v", err)
	}
	return rm
}

// Attrs returns a record's attributes as a map of emitted values.
func Attrs(r sdklog.Record) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		m[kv.Key] = kv.Value
		return true
	})
	return m
}

// LogExporter keeps exported records in memory.
type LogExporter struct {
	mu      sync.Mutex
	records []sdklog.Record
}

var _ sdklog.Exporter = (*LogExporter)(nil)

// Export stores clones of the records.
func (e *LogExporter) Export(_ context.Context, recs []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range recs {
		e.records = append(e.records, r.Clone())
	}
	return nil
}

// Records returns a copy of what was exported.
func (e *LogExporter) Records() []sdklog.Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sdklog.Record(nil), e.records...)
}

// Reset forgets what was exported.
func (e *LogExporter) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.records = nil
}

// Shutdown does nothing.
func (e *LogExporter) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing.
func (e *LogExporter) ForceFlush(context.Context) error { return nil }
