package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/noop"
)

// Emitter emits named events as OTel log records. The record is emitted with
// the caller's context, so the SDK stamps the current span's trace and span
// ids; a [SpanEventProcessor] in the logger provider mirrors it onto that span.
// A nil *Emitter emits nothing.
type Emitter struct {
	logger log.Logger
}

// NewEmitter returns an emitter using lp (a no-op provider when nil) with the
// given instrumentation scope name ([ScopeName] when empty).
func NewEmitter(lp log.LoggerProvider, scope string) *Emitter {
	if lp == nil {
		lp = noop.NewLoggerProvider()
	}
	if scope == "" {
		scope = ScopeName
	}
	return &Emitter{logger: lp.Logger(scope, log.WithInstrumentationVersion(Version))}
}

// Emit emits one event named name with attrs, at INFO severity.
func (e *Emitter) Emit(ctx context.Context, name string, attrs ...attribute.KeyValue) {
	e.EmitSeverity(ctx, log.SeverityInfo, name, attrs...)
}

// EmitSeverity emits one event with an explicit severity (WARN for denials,
// for example).
func (e *Emitter) EmitSeverity(ctx context.Context, sev log.Severity, name string, attrs ...attribute.KeyValue) {
	if e == nil {
		return
	}
	var r log.Record
	now := time.Now()
	r.SetEventName(name)
	r.SetTimestamp(now)
	r.SetObservedTimestamp(now)
	r.SetSeverity(sev)
	r.SetSeverityText(sev.String())
	r.SetBody(attribute.StringValue(name))
	r.AddAttributes(attrs...)
	e.logger.Emit(ctx, r)
}
