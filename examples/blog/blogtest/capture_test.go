package blogtest_test

import (
	"context"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/telemetry"
)

// traceCapture records ended spans synchronously.
type traceCapture struct {
	tp  *sdktrace.TracerProvider
	exp *tracetest.InMemoryExporter
}

func newTraceCapture(t *testing.T) *traceCapture {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &traceCapture{tp: tp, exp: exp}
}

func (c *traceCapture) spans() tracetest.SpanStubs { return c.exp.GetSpans() }

// find returns the spans named name of the given kind.
func (c *traceCapture) find(name string, kind trace.SpanKind) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range c.spans() {
		if s.Name == name && s.SpanKind == kind {
			out = append(out, s)
		}
	}
	return out
}

// event is a recorded log record, reduced to what the tests check.
type event struct {
	name    string
	traceID trace.TraceID
	spanID  trace.SpanID
	attrs   map[attribute.Key]string
}

// eventCapture is an sdklog exporter that keeps every record, behind the
// span-event bridge, as telemetry.Setup arranges it.
type eventCapture struct {
	mu     sync.Mutex
	events []event
}

func newEventCapture(t *testing.T) (*eventCapture, *sdklog.LoggerProvider) {
	c := &eventCapture{}
	lp := sdklog.NewLoggerProvider(
		sdklog.WithProcessor(telemetry.NewSpanEventProcessor()),
		sdklog.WithProcessor(sdklog.NewSimpleProcessor(c)),
	)
	t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
	return c, lp
}

func (c *eventCapture) Export(_ context.Context, recs []sdklog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range recs {
		e := event{name: r.EventName(), traceID: r.TraceID(), spanID: r.SpanID(), attrs: map[attribute.Key]string{}}
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			e.attrs[attribute.Key(kv.Key)] = kv.Value.String()
			return true
		})
		c.events = append(c.events, e)
	}
	return nil
}

func (c *eventCapture) Shutdown(context.Context) error   { return nil }
func (c *eventCapture) ForceFlush(context.Context) error { return nil }

func (c *eventCapture) named(name string) []event {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []event
	for _, e := range c.events {
		if e.name == name {
			out = append(out, e)
		}
	}
	return out
}
