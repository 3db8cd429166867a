package audit

import (
	"time"

	"go.opentelemetry.io/otel/metric"
)

// Option configures a [Recorder].
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	sinks     []Sink
	inline    []Sink
	mp        metric.MeterProvider
	file      *FileSink
	fileOpts  []FileOption
	now       func() time.Time
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

// WithFileSink uses an already opened file sink instead of opening
// Config.File.Path. The Recorder closes it.
func WithFileSink(fs *FileSink) Option {
	return optionFunc(func(o *options) { o.file = fs })
}

// WithFileOptions passes options to [OpenFile] when the Recorder opens the file.
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
