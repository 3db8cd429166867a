// Package jaegertest is a small client of a real Jaeger v2 for end-to-end
// tests, as started by scripts/jaeger.sh run -- CMD (which sets JAEGER_URL,
// JAEGER_OTLP_ENDPOINT and JAEGER_LOG).
//
//   - [FromEnv] finds that Jaeger (failing the test when it is not there) and
//     [Jaeger.Setenv] points the standard OTEL_* variables at it, so
//     telemetry.Setup exports traces and logs to it.
//   - [Jaeger.WaitTrace] polls the query API (/api/traces/{id}, the v1-shaped
//     JSON that Jaeger v2 still serves) until a [Trace] satisfies a predicate;
//     [Jaeger.FindTraces] runs a search by service and tags. Both go through
//     [jaegerapi.Client], and [Trace], [Span] and the other model types are
//     aliases of jaegerapi's: [jaegerapi.Trace.SpanBy],
//     [jaegerapi.Trace.Parent], [jaegerapi.Span.Tag] and
//     [jaegerapi.Span.Events] read the result.
//   - Jaeger stores traces only; its logs pipeline prints every OTLP log record
//     through the collector's debug exporter (verbosity detailed) into
//     JAEGER_LOG. [ParseLogRecords], [LogRecords] and [Jaeger.WaitLogRecord]
//     read them back as [LogRecord] values.
package jaegertest
