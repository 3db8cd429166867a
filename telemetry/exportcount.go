package telemetry

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Signals, as [ExportCounts] and the export metric name them.
const (
	SignalTraces  = "traces"
	SignalLogs    = "logs"
	SignalMetrics = "metrics"
)

// The export metric: an observable counter of items (spans, log records,
// metric data points) by signal and outcome.
const (
	ExportMetricName = "tracegate.telemetry.export.items"
	SignalKey        = attribute.Key("tracegate.telemetry.signal")
	OutcomeKey       = attribute.Key("tracegate.telemetry.outcome")
)

// Outcomes of an exported item.
const (
	OutcomeExported = "exported"
	OutcomeFailed   = "failed"
	OutcomeDropped  = "dropped"
)

// ExportCounts is what happened to one signal's items since [Setup]: every
// span or log record handed to a batch processor ends up, once flushed, in
// exactly one of the three counts.
type ExportCounts struct {
	// Exported counts items in exports the collector accepted.
	Exported int64
	// Failed counts items in exports that returned an error, including a
	// refused connection and the export timeout.
	Failed int64
	// Dropped counts items refused before export because the queue
	// (OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BLRP_MAX_QUEUE_SIZE) was full, as
	// during a collector outage. Always 0 for metrics, which are collected,
	// not queued.
	Dropped int64
}

// defaultReportInterval bounds how often the export log line repeats while
// exports keep failing.
const defaultReportInterval = 10 * time.Second

// exportCounter counts one signal. For a queued signal (limit > 0) it also
// admits items into the batch processor: at most limit items between
// admission and the end of their export. The processor's own queue is made
// larger than that, so it never drops (the SDK drops silently); the
// counter drops, and counts, instead.
type exportCounter struct {
	exported, failed, dropped, outstanding atomic.Int64
	limit                                  int64
}

func (c *exportCounter) admit() bool {
	for {
		cur := c.outstanding.Load()
		if cur >= c.limit {
			c.dropped.Add(1)
			return false
		}
		if c.outstanding.CompareAndSwap(cur, cur+1) {
			return true
		}
	}
}

func (c *exportCounter) done(n int, err error) {
	if err != nil {
		c.failed.Add(int64(n))
	} else {
		c.exported.Add(int64(n))
	}
	if c.limit > 0 {
		c.outstanding.Add(-int64(n))
	}
}

func (c *exportCounter) counts() ExportCounts {
	return ExportCounts{Exported: c.exported.Load(), Failed: c.failed.Load(), Dropped: c.dropped.Load()}
}

// exportStats counts the three signals and writes the export log line.
type exportStats struct {
	traces, logs, metrics exportCounter
	logger                *slog.Logger
	every                 time.Duration

	mu       sync.Mutex
	lastLine time.Time
	lastBad  int64
}

func newExportStats(logger *slog.Logger) *exportStats {
	return &exportStats{logger: logger, every: defaultReportInterval}
}

func (s *exportStats) snapshot() map[string]ExportCounts {
	return map[string]ExportCounts{
		SignalTraces:  s.traces.counts(),
		SignalLogs:    s.logs.counts(),
		SignalMetrics: s.metrics.counts(),
	}
}

// finished counts an export of n items of c's signal; a failure may write
// the log line.
func (s *exportStats) finished(c *exportCounter, n int, err error) {
	c.done(n, err)
	if err != nil {
		s.report(false)
	}
}

// report writes one line with every count when failed or dropped items
// grew since the last line: at most once per interval, or now when final.
func (s *exportStats) report(final bool) {
	if s == nil || s.logger == nil {
		return
	}
	c := s.snapshot()
	bad := int64(0)
	for _, v := range c {
		bad += v.Failed + v.Dropped
	}
	s.mu.Lock()
	if bad == s.lastBad || (!final && time.Since(s.lastLine) < s.every) {
		s.mu.Unlock()
		return
	}
	s.lastBad, s.lastLine = bad, time.Now()
	s.mu.Unlock()
	attrs := make([]any, 0, 9)
	for _, sig := range []string{SignalTraces, SignalLogs, SignalMetrics} {
		v := c[sig]
		attrs = append(attrs, slog.Group(sig,
			OutcomeExported, v.Exported, OutcomeFailed, v.Failed, OutcomeDropped, v.Dropped))
	}
	msg := "telemetry: items not exported (collector unreachable or too slow)"
	if final {
		msg = "telemetry: items not exported, totals at shutdown"
	}
	s.logger.Warn(msg, attrs...)
}

// register adds the export metric to mp: one observable counter, read from
// the counters at each collection.
func (s *exportStats) register(mp metric.MeterProvider) error {
	m := mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version))
	_, err := m.Int64ObservableCounter(ExportMetricName,
		metric.WithUnit("{item}"),
		metric.WithDescription("Spans, log records and metric data points by outcome of their export: exported, failed (export error or timeout), dropped (queue full)."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			for sig, v := range s.snapshot() {
				for _, kv := range []struct {
					outcome string
					n       int64
				}{{OutcomeExported, v.Exported}, {OutcomeFailed, v.Failed}, {OutcomeDropped, v.Dropped}} {
					if sig == SignalMetrics && kv.outcome == OutcomeDropped {
						continue
					}
					o.Observe(kv.n, metric.WithAttributes(SignalKey.String(sig), OutcomeKey.String(kv.outcome)))
				}
			}
			return nil
		}))
	return err
}

// queueSizes reads a batch processor's queue and batch sizes the way the
// SDK does: env (prefix OTEL_BSP or OTEL_BLRP), else 2048 and 512, and a
// batch no larger than the queue.
func queueSizes(getenv func(string) string, prefix string) (queue, batch int) {
	num := func(key string, dflt int) int {
		if n, err := strconv.Atoi(getenv(prefix + key)); err == nil && n > 0 {
			return n
		}
		return dflt
	}
	queue = num("_MAX_QUEUE_SIZE", 2048)
	batch = min(num("_MAX_EXPORT_BATCH_SIZE", 512), queue)
	return queue, batch
}

// Traces: a gate in front of the batch span processor, a counter behind it.

type countingSpanExporter struct {
	sdktrace.SpanExporter
	s *exportStats
}

func (e countingSpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	e.s.finished(&e.s.traces, len(spans), err)
	return err
}

type gatedSpanProcessor struct {
	sdktrace.SpanProcessor
	c *exportCounter
}

// OnEnd admits a sampled span into the batch processor or drops it.
func (p gatedSpanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.SpanContext().IsSampled() && !p.c.admit() {
		return
	}
	p.SpanProcessor.OnEnd(s)
}

func newCountedSpanProcessor(exp sdktrace.SpanExporter, s *exportStats, getenv func(string) string) sdktrace.SpanProcessor {
	queue, batch := queueSizes(getenv, "OTEL_BSP")
	s.traces.limit = int64(queue)
	bsp := sdktrace.NewBatchSpanProcessor(countingSpanExporter{exp, s},
		sdktrace.WithMaxQueueSize(queue+batch), sdktrace.WithMaxExportBatchSize(batch))
	return gatedSpanProcessor{bsp, &s.traces}
}

// Logs: the same.

type countingLogExporter struct {
	sdklog.Exporter
	s *exportStats
}

func (e countingLogExporter) Export(ctx context.Context, records []sdklog.Record) error {
	err := e.Exporter.Export(ctx, records)
	e.s.finished(&e.s.logs, len(records), err)
	return err
}

type gatedLogProcessor struct {
	*sdklog.BatchProcessor
	c *exportCounter
}

// OnEmit admits a record into the batch processor or drops it.
func (p gatedLogProcessor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	if !p.c.admit() {
		return nil
	}
	return p.BatchProcessor.OnEmit(ctx, r)
}

func newCountedLogProcessor(exp sdklog.Exporter, s *exportStats, getenv func(string) string) sdklog.Processor {
	queue, batch := queueSizes(getenv, "OTEL_BLRP")
	s.logs.limit = int64(queue)
	bp := sdklog.NewBatchProcessor(countingLogExporter{exp, s},
		sdklog.WithMaxQueueSize(queue+batch), sdklog.WithExportMaxBatchSize(batch))
	return gatedLogProcessor{bp, &s.logs}
}

// Metrics: counted behind the periodic reader, nothing to drop.

type countingMetricExporter struct {
	sdkmetric.Exporter
	s *exportStats
}

func (e countingMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	err := e.Exporter.Export(ctx, rm)
	e.s.finished(&e.s.metrics, dataPoints(rm), err)
	return err
}

// dataPoints counts the data points in rm.
func dataPoints(rm *metricdata.ResourceMetrics) int {
	if rm == nil {
		return 0
	}
	n := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				n += len(d.DataPoints)
			case metricdata.Gauge[float64]:
				n += len(d.DataPoints)
			case metricdata.Sum[int64]:
				n += len(d.DataPoints)
			case metricdata.Sum[float64]:
				n += len(d.DataPoints)
			case metricdata.Histogram[int64]:
				n += len(d.DataPoints)
			case metricdata.Histogram[float64]:
				n += len(d.DataPoints)
			case metricdata.ExponentialHistogram[int64]:
				n += len(d.DataPoints)
			case metricdata.ExponentialHistogram[float64]:
				n += len(d.DataPoints)
			case metricdata.Summary:
				n += len(d.DataPoints)
			}
		}
	}
	return n
}
