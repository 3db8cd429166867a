package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Providers are the OpenTelemetry providers built by [Setup]. Pass them to
// tracegate's and go-micro's options; only a program's main calls [Providers.Install].
type Providers struct {
	TracerProvider *sdktrace.TracerProvider
	MeterProvider  *sdkmetric.MeterProvider
	LoggerProvider *sdklog.LoggerProvider
	Propagator     propagation.TextMapPropagator
	Resource       *resource.Resource

	stats *exportStats
}

// ExportCounts returns, per signal ([SignalTraces], [SignalLogs],
// [SignalMetrics]), what happened to the items of the exporters Setup built
// from OTEL_* (processors and readers given as options are not counted).
// The same counts are the [ExportMetricName] metric, and a log line when
// items are lost.
func (p Providers) ExportCounts() map[string]ExportCounts {
	if p.stats == nil {
		return map[string]ExportCounts{SignalTraces: {}, SignalLogs: {}, SignalMetrics: {}}
	}
	return p.stats.snapshot()
}

// ShutdownFunc flushes and stops every provider built by [Setup].
type ShutdownFunc func(context.Context) error

// Install makes p the process-wide OpenTelemetry providers and propagator.
// Call it from main only.
func (p Providers) Install() {
	otel.SetTracerProvider(p.TracerProvider)
	otel.SetMeterProvider(p.MeterProvider)
	otel.SetLoggerProvider(p.LoggerProvider)
	otel.SetTextMapPropagator(p.Propagator)
}

// NewPropagator returns the W3C TraceContext + Baggage propagator tracegate uses
// on every hop.
func NewPropagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// Setup builds tracer, meter and logger providers. Exporters are chosen by
// OTEL_TRACES_EXPORTER, OTEL_LOGS_EXPORTER and OTEL_METRICS_EXPORTER
// (otlp | console | none; default otlp over gRPC, to 127.0.0.1:4317 without
// TLS unless OTEL_EXPORTER_OTLP_ENDPOINT says otherwise) or replaced by options.
// The logger provider always carries a [SpanEventProcessor], so events become
// span events even when logs are not exported. Exporters never block a call:
// spans and logs are batched, and export errors go to otel.Handle.
//
// Lost telemetry is counted per signal ([Providers.ExportCounts]): items
// exported, failed (export error or timeout) and dropped (batch queue full,
// as during a collector outage; the newest item is dropped, where the SDK
// alone would drop silently). The counts are the metric [ExportMetricName],
// and while items are being lost a warning line with all counts goes to the
// export logger ([WithExportLogger]; default standard error) at most every
// 10 s, and once more at shutdown.
func Setup(ctx context.Context, opts ...SetupOption) (Providers, ShutdownFunc, error) {
	cfg := newSetupConfig(os.Getenv, opts)
	res, err := newResource(ctx, cfg)
	if err != nil {
		return Providers{}, nil, err
	}
	stats := newExportStats(cfg.exportLogger)
	var shutdowns []ShutdownFunc
	// Providers shut down concurrently, each flushing under the caller's
	// deadline, so a dead collector for one signal does not starve the others.
	shutdown := func(ctx context.Context) error {
		errs := make([]error, len(shutdowns))
		var wg sync.WaitGroup
		for i, f := range shutdowns {
			wg.Go(func() { errs[i] = f(ctx) })
		}
		wg.Wait()
		stats.report(true)
		return errors.Join(errs...)
	}
	fail := func(err error) (Providers, ShutdownFunc, error) {
		return Providers{}, nil, errors.Join(err, shutdown(ctx))
	}

	tp, err := newTracerProvider(ctx, cfg, res, stats)
	if err != nil {
		return fail(err)
	}
	shutdowns = append(shutdowns, tp.Shutdown)
	mp, err := newMeterProvider(ctx, cfg, res, stats)
	if err != nil {
		return fail(err)
	}
	shutdowns = append(shutdowns, mp.Shutdown)
	if err := stats.register(mp); err != nil {
		return fail(fmt.Errorf("telemetry: export metric: %w", err))
	}
	lp, err := newLoggerProvider(ctx, cfg, res, stats)
	if err != nil {
		return fail(err)
	}
	shutdowns = append(shutdowns, lp.Shutdown)

	return Providers{
		TracerProvider: tp,
		MeterProvider:  mp,
		LoggerProvider: lp,
		Propagator:     NewPropagator(),
		Resource:       res,
		stats:          stats,
	}, shutdown, nil
}

// newResource merges, lowest precedence first: the SDK's telemetry attributes,
// the options' service name, version and attributes, then OTEL_SERVICE_NAME
// and OTEL_RESOURCE_ATTRIBUTES. Our attributes are schemaless on purpose:
// merging two different schema URLs fails.
func newResource(ctx context.Context, cfg setupConfig) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{attribute.String("service.version", cfg.serviceVersion)}
	if cfg.serviceName != "" {
		attrs = append(attrs, attribute.String("service.name", cfg.serviceName))
	}
	attrs = append(attrs, cfg.attributes...)
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attrs...),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return res, nil
}

func newTracerProvider(ctx context.Context, cfg setupConfig, res *resource.Resource, stats *exportStats) (*sdktrace.TracerProvider, error) {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if cfg.sampler != nil {
		opts = append(opts, sdktrace.WithSampler(cfg.sampler))
	}
	procs := cfg.spanProcessors
	if len(procs) == 0 {
		p, err := newSpanProcessor(ctx, cfg.getenv, stats)
		if err != nil {
			return nil, err
		}
		if p != nil {
			procs = append(procs, p)
		}
	}
	for _, p := range procs {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	return sdktrace.NewTracerProvider(opts...), nil
}

func newMeterProvider(ctx context.Context, cfg setupConfig, res *resource.Resource, stats *exportStats) (*sdkmetric.MeterProvider, error) {
	opts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	readers := cfg.metricReaders
	if len(readers) == 0 {
		r, err := newMetricReader(ctx, cfg.getenv, stats)
		if err != nil {
			return nil, err
		}
		if r != nil {
			readers = append(readers, r)
		}
	}
	for _, r := range readers {
		opts = append(opts, sdkmetric.WithReader(r))
	}
	return sdkmetric.NewMeterProvider(opts...), nil
}

func newLoggerProvider(ctx context.Context, cfg setupConfig, res *resource.Resource, stats *exportStats) (*sdklog.LoggerProvider, error) {
	opts := []sdklog.LoggerProviderOption{
		sdklog.WithResource(res),
		sdklog.WithProcessor(NewSpanEventProcessor()),
	}
	procs := cfg.logProcessors
	if len(procs) == 0 {
		p, err := newLogProcessor(ctx, cfg.getenv, stats)
		if err != nil {
			return nil, err
		}
		if p != nil {
			procs = append(procs, p)
		}
	}
	for _, p := range procs {
		opts = append(opts, sdklog.WithProcessor(p))
	}
	return sdklog.NewLoggerProvider(opts...), nil
}
