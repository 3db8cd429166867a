// Package telemetry wires OpenTelemetry into tracegate and into go-micro services.
//
// It has four parts, each usable alone:
//
//   - [Setup] builds tracer, meter and logger providers with OTLP exporters, the
//     W3C TraceContext and Baggage propagator and a resource. It honours the
//     standard OTEL_* variables and returns a shutdown function that flushes all
//     three providers. Library code never sets OpenTelemetry globals; only a
//     program's main does, with what Setup returns.
//   - [Inject] and [Extract] carry a trace context through go-micro metadata with
//     exactly one lowercase key per propagation field, read case-insensitively.
//   - [NewClientWrapper], [NewCallWrapper] and [NewHandlerWrapper] give go-micro
//     clients and servers CLIENT and SERVER spans following the OTel RPC
//     conventions.
//   - [Emitter] emits events as OTel log records that carry the current span's
//     trace and span ids; the [SpanEventProcessor] registered by [Setup] mirrors
//     each of them onto that span as a span event, so one call is visible both as
//     an OTLP log record and as a span log in Jaeger.
package telemetry
