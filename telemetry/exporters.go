package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutlog"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Exporter kinds accepted in OTEL_{TRACES,LOGS,METRICS}_EXPORTER.
const (
	ExporterOTLP    = "otlp"
	ExporterConsole = "console"
	ExporterNone    = "none"
)

// Errors returned by [Setup] for unusable configuration.
var (
	ErrUnknownExporter     = errors.New("telemetry: unknown exporter")
	ErrUnsupportedProtocol = errors.New("telemetry: unsupported OTLP protocol (only grpc)")
)

// defaultOTLPEndpoint is used when no OTEL_EXPORTER_OTLP_*ENDPOINT is set: a
// local collector or Jaeger on loopback, without TLS.
const defaultOTLPEndpoint = "127.0.0.1:4317"

// exportTimeout bounds every export so a dead collector never holds a flush
// for long; OTEL_EXPORTER_OTLP_TIMEOUT and OTEL_EXPORTER_OTLP_<SIGNAL>_TIMEOUT
// (milliseconds) override it.
const exportTimeout = 5 * time.Second

// timeoutFromEnv tells whether the OTLP timeout is left to the environment.
func timeoutFromEnv(getenv func(string) string, signal string) bool {
	return getenv("OTEL_EXPORTER_OTLP_TIMEOUT") != "" || getenv("OTEL_EXPORTER_OTLP_"+signal+"_TIMEOUT") != ""
}

// exporterKind reads OTEL_<SIGNAL>_EXPORTER (default otlp).
func exporterKind(getenv func(string) string, signal string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(getenv("OTEL_" + signal + "_EXPORTER")))
	switch v {
	case "":
		return ExporterOTLP, nil
	case ExporterOTLP, ExporterConsole, ExporterNone:
		return v, nil
	}
	return "", fmt.Errorf("%w: OTEL_%s_EXPORTER=%q", ErrUnknownExporter, signal, v)
}

// otlpDefaults tells whether the OTLP exporters need our loopback default, and
// checks the protocol: tracegate ships only the gRPC exporters.
func otlpDefaults(getenv func(string) string, signal string) (useDefault bool, err error) {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_" + signal + "_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := getenv(k); p != "" && p != "grpc" {
			return false, fmt.Errorf("%w: %s=%q", ErrUnsupportedProtocol, k, p)
		}
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_"+signal+"_ENDPOINT") == "", nil
}

// newSpanProcessor builds the exporter OTEL_TRACES_EXPORTER names behind a
// batch processor whose items stats counts.
func newSpanProcessor(ctx context.Context, getenv func(string) string, stats *exportStats) (sdktrace.SpanProcessor, error) {
	kind, err := exporterKind(getenv, "TRACES")
	if err != nil {
		return nil, err
	}
	var exp sdktrace.SpanExporter
	switch kind {
	case ExporterNone:
		return nil, nil
	case ExporterConsole:
		exp, err = stdouttrace.New(stdouttrace.WithWriter(os.Stderr))
	default:
		useDefault, perr := otlpDefaults(getenv, "TRACES")
		if perr != nil {
			return nil, perr
		}
		var opts []otlptracegrpc.Option
		if !timeoutFromEnv(getenv, "TRACES") {
			opts = append(opts, otlptracegrpc.WithTimeout(exportTimeout))
		}
		if useDefault {
			opts = append(opts, otlptracegrpc.WithEndpoint(defaultOTLPEndpoint), otlptracegrpc.WithInsecure())
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: trace exporter %s: %w", kind, err)
	}
	return newCountedSpanProcessor(exp, stats, getenv), nil
}

// newLogProcessor builds the exporter OTEL_LOGS_EXPORTER names behind a
// batch processor whose items stats counts.
func newLogProcessor(ctx context.Context, getenv func(string) string, stats *exportStats) (sdklog.Processor, error) {
	kind, err := exporterKind(getenv, "LOGS")
	if err != nil {
		return nil, err
	}
	var exp sdklog.Exporter
	switch kind {
	case ExporterNone:
		return nil, nil
	case ExporterConsole:
		exp, err = stdoutlog.New(stdoutlog.WithWriter(os.Stderr))
	default:
		useDefault, perr := otlpDefaults(getenv, "LOGS")
		if perr != nil {
			return nil, perr
		}
		var opts []otlploggrpc.Option
		if !timeoutFromEnv(getenv, "LOGS") {
			opts = append(opts, otlploggrpc.WithTimeout(exportTimeout))
		}
		if useDefault {
			opts = append(opts, otlploggrpc.WithEndpoint(defaultOTLPEndpoint), otlploggrpc.WithInsecure())
		}
		exp, err = otlploggrpc.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: log exporter %s: %w", kind, err)
	}
	return newCountedLogProcessor(exp, stats, getenv), nil
}

// newMetricReader builds the exporter OTEL_METRICS_EXPORTER names behind a
// periodic reader; stats counts the exported data points.
func newMetricReader(ctx context.Context, getenv func(string) string, stats *exportStats) (sdkmetric.Reader, error) {
	kind, err := exporterKind(getenv, "METRICS")
	if err != nil {
		return nil, err
	}
	var exp sdkmetric.Exporter
	switch kind {
	case ExporterNone:
		return nil, nil
	case ExporterConsole:
		exp, err = stdoutmetric.New(stdoutmetric.WithWriter(os.Stderr))
	default:
		useDefault, perr := otlpDefaults(getenv, "METRICS")
		if perr != nil {
			return nil, perr
		}
		var opts []otlpmetricgrpc.Option
		if !timeoutFromEnv(getenv, "METRICS") {
			opts = append(opts, otlpmetricgrpc.WithTimeout(exportTimeout))
		}
		if useDefault {
			opts = append(opts, otlpmetricgrpc.WithEndpoint(defaultOTLPEndpoint), otlpmetricgrpc.WithInsecure())
		}
		exp, err = otlpmetricgrpc.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: metric exporter %s: %w", kind, err)
	}
	return sdkmetric.NewPeriodicReader(countingMetricExporter{exp, stats}), nil
}
