package telemetry_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	otellog "go.opentelemetry.io/otel/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tracegate/tracegate/telemetry"
)

// collector is a real OTLP/gRPC endpoint on 127.0.0.1 whose answers the
// test controls: it holds every export until released (a black hole, as a
// hung collector is), then accepts or refuses them.
type collector struct {
	addr    string
	hold    chan struct{}
	release sync.Once
	refuse  atomic.Bool

	mu                  sync.Mutex
	spans, logs, points int
}

type traceService struct {
	coltrace.UnimplementedTraceServiceServer
	c *collector
}

type logsService struct {
	collogs.UnimplementedLogsServiceServer
	c *collector
}

type metricsService struct {
	colmetrics.UnimplementedMetricsServiceServer
	c *collector
}

func startCollector(t *testing.T) *collector {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{addr: l.Addr().String(), hold: make(chan struct{})}
	srv := grpc.NewServer()
	coltrace.RegisterTraceServiceServer(srv, traceService{c: c})
	collogs.RegisterLogsServiceServer(srv, logsService{c: c})
	colmetrics.RegisterMetricsServiceServer(srv, metricsService{c: c})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	t.Cleanup(func() {
		c.open(false)
		srv.Stop()
		<-done
	})
	return c
}

// open releases held and future exports; they are refused when refuse.
func (c *collector) open(refuse bool) {
	c.release.Do(func() {
		c.refuse.Store(refuse)
		close(c.hold)
	})
}

func (c *collector) answer(ctx context.Context, count func()) error {
	select {
	case <-c.hold:
	case <-ctx.Done():
		return ctx.Err()
	}
	if c.refuse.Load() {
		return status.Error(codes.PermissionDenied, "refused by the test collector")
	}
	c.mu.Lock()
	count()
	c.mu.Unlock()
	return nil
}

func (s traceService) Export(ctx context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	return &coltrace.ExportTraceServiceResponse{}, s.c.answer(ctx, func() {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				s.c.spans += len(ss.Spans)
			}
		}
	})
}

func (s logsService) Export(ctx context.Context, req *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	return &collogs.ExportLogsServiceResponse{}, s.c.answer(ctx, func() {
		for _, rl := range req.ResourceLogs {
			for _, sl := range rl.ScopeLogs {
				s.c.logs += len(sl.LogRecords)
			}
		}
	})
}

func (s metricsService) Export(ctx context.Context, req *colmetrics.ExportMetricsServiceRequest) (*colmetrics.ExportMetricsServiceResponse, error) {
	return &colmetrics.ExportMetricsServiceResponse{}, s.c.answer(ctx, func() {
		for _, rm := range req.ResourceMetrics {
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					s.c.points += len(m.GetSum().GetDataPoints()) + len(m.GetGauge().GetDataPoints()) +
						len(m.GetHistogram().GetDataPoints()) + len(m.GetExponentialHistogram().GetDataPoints()) +
						len(m.GetSummary().GetDataPoints())
				}
			}
		}
	})
}

func (c *collector) received() (spans, logs, points int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.spans, c.logs, c.points
}

// collectorEnv points every OTLP exporter at c, with queues of 8 (batches
// of 4) and exports that only end when the collector answers.
func collectorEnv(t *testing.T, c *collector) {
	for k, v := range map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":     "http://" + c.addr,
		"OTEL_EXPORTER_OTLP_TIMEOUT":      "120000",
		"OTEL_BSP_MAX_QUEUE_SIZE":         "8",
		"OTEL_BSP_MAX_EXPORT_BATCH_SIZE":  "4",
		"OTEL_BSP_SCHEDULE_DELAY":         "10",
		"OTEL_BSP_EXPORT_TIMEOUT":         "120000",
		"OTEL_BLRP_MAX_QUEUE_SIZE":        "8",
		"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "4",
		"OTEL_BLRP_SCHEDULE_DELAY":        "10",
		"OTEL_BLRP_EXPORT_TIMEOUT":        "120000",
		"OTEL_METRIC_EXPORT_INTERVAL":     "3600000",
		"OTEL_TRACES_EXPORTER":            "otlp",
		"OTEL_LOGS_EXPORTER":              "otlp",
		"OTEL_METRICS_EXPORTER":           "otlp",
	} {
		t.Setenv(k, v)
	}
}

// produce ends n sampled spans and emits n log records.
func produce(p telemetry.Providers, n int) {
	tr := p.TracerProvider.Tracer("t")
	lg := p.LoggerProvider.Logger("t")
	for range n {
		_, span := tr.Start(context.Background(), "op")
		span.End()
		var r otellog.Record
		r.SetBody(attribute.StringValue("x"))
		lg.Emit(context.Background(), r)
	}
}

func shutdownWithin(t *testing.T, shutdown telemetry.ShutdownFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_ = shutdown(ctx) // the refused exports are errors here
}

// A collector outage: the collector hangs (every export held), then refuses.
// Of 100 spans and 100 log records, 8 of each fit the queue and fail when
// refused, 92 are dropped; nothing is exported; metrics fail at shutdown;
// the warning line carries every count.
func TestExportCountsDuringOutage(t *testing.T) {
	c := startCollector(t)
	collectorEnv(t, c)
	// Read only after shutdown, which waits for every exporting goroutine;
	// slog's handler serialises the writes.
	var logBuf bytes.Buffer
	p, shutdown, err := telemetry.Setup(context.Background(), telemetry.WithServiceName("outage"),
		telemetry.WithExportLogger(slog.New(slog.NewTextHandler(&logBuf, nil))))
	if err != nil {
		t.Fatal(err)
	}
	produce(p, 100)
	held := p.ExportCounts()
	for _, sig := range []string{telemetry.SignalTraces, telemetry.SignalLogs} {
		if got := held[sig]; got != (telemetry.ExportCounts{Dropped: 92}) {
			t.Errorf("%s while the collector hangs = %+v, want 92 dropped (8 queued)", sig, got)
		}
	}
	c.open(true)
	shutdownWithin(t, shutdown)

	got := p.ExportCounts()
	for _, sig := range []string{telemetry.SignalTraces, telemetry.SignalLogs} {
		if want := (telemetry.ExportCounts{Failed: 8, Dropped: 92}); got[sig] != want {
			t.Errorf("%s = %+v, want %+v", sig, got[sig], want)
		}
	}
	if m := got[telemetry.SignalMetrics]; m.Failed == 0 || m.Exported != 0 || m.Dropped != 0 {
		t.Errorf("metrics = %+v, want failed data points only", m)
	}
	line := logBuf.String()
	for _, want := range []string{"level=WARN", "traces.failed=8", "traces.dropped=92", "logs.failed=8", "logs.dropped=92", "metrics.failed="} {
		if !strings.Contains(line, want) {
			t.Errorf("export log lacks %q:\n%s", want, line)
		}
	}
	if s, l, pts := c.received(); s+l+pts != 0 {
		t.Errorf("collector accepted %d spans, %d logs, %d points while refusing", s, l, pts)
	}
}

// With a working collector every item is exported, the counts match what
// the collector received, and no warning is written.
func TestExportCountsCollectorUp(t *testing.T) {
	c := startCollector(t)
	c.open(false)
	collectorEnv(t, c)
	var logBuf bytes.Buffer // read after shutdown, as above
	p, shutdown, err := telemetry.Setup(context.Background(), telemetry.WithServiceName("up"),
		telemetry.WithExportLogger(slog.New(slog.NewTextHandler(&logBuf, nil))))
	if err != nil {
		t.Fatal(err)
	}
	produce(p, 6) // fewer than the queue: nothing dropped however slow the export
	shutdownWithin(t, shutdown)
	got := p.ExportCounts()
	spans, logs, points := c.received()
	if want := (telemetry.ExportCounts{Exported: 6}); got[telemetry.SignalTraces] != want || spans != 6 {
		t.Errorf("traces = %+v, collector got %d; want %+v", got[telemetry.SignalTraces], spans, want)
	}
	if want := (telemetry.ExportCounts{Exported: 6}); got[telemetry.SignalLogs] != want || logs != 6 {
		t.Errorf("logs = %+v, collector got %d; want %+v", got[telemetry.SignalLogs], logs, want)
	}
	if m := got[telemetry.SignalMetrics]; m.Exported == 0 || int(m.Exported) != points || m.Failed != 0 {
		t.Errorf("metrics = %+v, collector got %d points", m, points)
	}
	if l := logBuf.String(); l != "" {
		t.Errorf("warning without loss: %s", l)
	}
}

// The counts are also the tracegate.telemetry.export.items metric.
func TestExportMetric(t *testing.T) {
	c := startCollector(t)
	c.open(false)
	collectorEnv(t, c)
	reader := sdkmetric.NewManualReader()
	p, shutdown, err := telemetry.Setup(context.Background(), telemetry.WithMetricReader(reader))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdownWithin(t, shutdown)
	produce(p, 3)
	if err := p.TracerProvider.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != telemetry.ExportMetricName {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				sig, _ := dp.Attributes.Value(telemetry.SignalKey)
				out, _ := dp.Attributes.Value(telemetry.OutcomeKey)
				got[sig.AsString()+"/"+out.AsString()] = dp.Value
			}
		}
	}
	for k, want := range map[string]int64{"traces/exported": 3, "traces/failed": 0, "traces/dropped": 0, "logs/dropped": 0, "metrics/failed": 0} {
		if v, ok := got[k]; !ok || v != want {
			t.Errorf("%s = %d (present %v), want %d; all: %v", k, v, ok, want, got)
		}
	}
	if _, ok := got["metrics/dropped"]; ok {
		t.Error("metrics/dropped reported: metrics are never queued")
	}
}
