package audit

import (
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Default retry backoff of a [Recorder] whose file cannot be written.
const (
	DefaultRetryMin = 100 * time.Millisecond
	DefaultRetryMax = 5 * time.Second
)

// Option configures a [Recorder].
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// Logger receives the Recorder's operational messages (the audit log
// stopped or resumed being writable, the chain is unkeyed). *log.Logger
// satisfies it.
type Logger interface {
	Printf(format string, v ...any)
}

type options struct {
	sinks     []Sink
	inline    []Sink
	mp        metric.MeterProvider
	tp        trace.TracerProvider
	logger    Logger
	file      *FileSink
	fileOpts  []FileOption
	now       func() time.Time
	retryMin  time.Duration
	retryMax  time.Duration
	queueHook func() // test hook: called by the batch writer before each record
}

// WithSink adds a sink that receives every sealed record in chain order
// (intent records included), after the file.
func WithSink(s Sink) Option {
	return optionFunc(func(o *options) {
		if s != nil {
			o.sinks = append(o.sinks, s)
		}
	})
}

// WithEmitter adds an [OTelSink]. It runs in the caller's goroutine with
// the call's context (so the event lands on the live span), for outcome,
// method, gap and truncation records; nil is ignored.
func WithEmitter(e Emitter) Option {
	return optionFunc(func(o *options) {
		if e != nil {
			o.inline = append(o.inline, NewOTelSink(e))
		}
	})
}

// WithAuditFunc adds a [CallbackSink] (go-micro compatible), run like the
// OTel sink; nil is ignored.
func WithAuditFunc(fn AuditFunc) Option {
	return optionFunc(func(o *options) {
		if fn != nil {
			o.inline = append(o.inline, NewCallbackSink(fn))
		}
	})
}

// WithMeterProvider sets the meter provider for tracegate.audit.dropped and
// tracegate.audit.write_errors; nil is ignored (no-op meter).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(o *options) {
		if mp != nil {
			o.mp = mp
		}
	})
}

// WithTracerProvider publishes every checkpoint of the file as a
// [CheckpointSpanName] span through tp (the trace backend then witnesses
// the log); nil is ignored. The spans must be recorded whatever the
// gateway samples: pass a provider built with [CheckpointSampler].
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(o *options) {
		if tp != nil {
			o.tp = tp
		}
	})
}

// WithLogger sets where the Recorder reports that the audit log cannot be
// written (at once, once per outage) and that it recovered; nil is ignored.
// The default writes to standard error.
func WithLogger(l Logger) Option {
	return optionFunc(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// WithRetryBackoff sets how soon the Recorder retries an unwritable file:
// first at once, then after first, doubling up to limit. Zero values keep
// the defaults ([DefaultRetryMin], [DefaultRetryMax]).
func WithRetryBackoff(first, limit time.Duration) Option {
	return optionFunc(func(o *options) {
		if first > 0 {
			o.retryMin = first
		}
		if limit > 0 {
			o.retryMax = limit
		}
	})
}

// WithFileSink uses an already opened file sink instead of opening
// Config.File.Path. The Recorder closes it and retries it when a write fails.
func WithFileSink(fs *FileSink) Option {
	return optionFunc(func(o *options) { o.file = fs })
}

// WithFileOptions passes options to [OpenFile] when the Recorder opens the
// file; they override Config (e.g. [WithMACKey] over Config.MACKeyFile).
func WithFileOptions(opts ...FileOption) Option {
	return optionFunc(func(o *options) { o.fileOpts = append(o.fileOpts, opts...) })
}

// WithClock sets the clock used for record times and durations; nil is ignored.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(o *options) {
		if now != nil {
			o.now = now
		}
	})
}

// withQueueHook is a test hook run by the batch writer before each record.
func withQueueHook(f func()) Option {
	return optionFunc(func(o *options) { o.queueHook = f })
}
