package telemetry

import (
	"log/slog"
	"os"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// SetupOption configures [Setup].
type SetupOption interface {
	applySetup(*setupConfig)
}

type setupOptionFunc func(*setupConfig)

func (f setupOptionFunc) applySetup(c *setupConfig) { f(c) }

type setupConfig struct {
	serviceName    string
	serviceVersion string
	attributes     []attribute.KeyValue
	sampler        sdktrace.Sampler
	spanProcessors []sdktrace.SpanProcessor
	logProcessors  []sdklog.Processor
	metricReaders  []sdkmetric.Reader
	exportLogger   *slog.Logger
	getenv         func(string) string
}

func newSetupConfig(getenv func(string) string, opts []SetupOption) setupConfig {
	c := setupConfig{serviceVersion: Version, getenv: getenv, exportLogger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	for _, o := range opts {
		o.applySetup(&c)
	}
	return c
}

// WithServiceName sets the default service.name; OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES override it.
func WithServiceName(name string) SetupOption {
	return setupOptionFunc(func(c *setupConfig) { c.serviceName = name })
}

// WithServiceVersion sets the default service.version.
func WithServiceVersion(v string) SetupOption {
	return setupOptionFunc(func(c *setupConfig) { c.serviceVersion = v })
}

// WithResourceAttributes adds default resource attributes; the OTEL_*
// variables override them.
func WithResourceAttributes(attrs ...attribute.KeyValue) SetupOption {
	return setupOptionFunc(func(c *setupConfig) { c.attributes = append(c.attributes, attrs...) })
}

// WithSampler sets the sampler. Without it the SDK default applies, which
// honours OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG.
func WithSampler(s sdktrace.Sampler) SetupOption {
	return setupOptionFunc(func(c *setupConfig) {
		if s != nil {
			c.sampler = s
		}
	})
}

// WithSpanProcessor replaces the exporter chosen by OTEL_TRACES_EXPORTER with
// the given processor (tests pass a syncer around an in-memory exporter). It
// may be given more than once; nil is ignored.
func WithSpanProcessor(p sdktrace.SpanProcessor) SetupOption {
	return setupOptionFunc(func(c *setupConfig) {
		if p != nil {
			c.spanProcessors = append(c.spanProcessors, p)
		}
	})
}

// WithLogProcessor replaces the exporter chosen by OTEL_LOGS_EXPORTER with the
// given processor. The span-event bridge is always registered first.
func WithLogProcessor(p sdklog.Processor) SetupOption {
	return setupOptionFunc(func(c *setupConfig) {
		if p != nil {
			c.logProcessors = append(c.logProcessors, p)
		}
	})
}

// WithMetricReader replaces the exporter chosen by OTEL_METRICS_EXPORTER with
// the given reader.
func WithMetricReader(r sdkmetric.Reader) SetupOption {
	return setupOptionFunc(func(c *setupConfig) {
		if r != nil {
			c.metricReaders = append(c.metricReaders, r)
		}
	})
}

// WithExportLogger sets where the export warning goes (default: a text
// logger on standard error): one line with every signal's exported,
// failed and dropped counts while items are being lost (at most every
// 10 s) and at shutdown. nil turns the line off; the counts remain.
func WithExportLogger(l *slog.Logger) SetupOption {
	return setupOptionFunc(func(c *setupConfig) { c.exportLogger = l })
}
