package agent

import (
	"io"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/tracegate/tracegate/telemetry"
)

// Option configures an [Agent].
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	tp   trace.TracerProvider
	prop propagation.TextMapPropagator
	base http.RoundTripper
	out  io.Writer
}

func newOptions(opts []Option) options {
	o := options{
		tp:   tracenoop.NewTracerProvider(),
		prop: telemetry.NewPropagator(),
		base: http.DefaultTransport,
		out:  io.Discard,
	}
	for _, opt := range opts {
		opt.apply(&o)
	}
	return o
}

// WithTracerProvider records the agent's spans; nil is ignored (default: none).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(o *options) {
		if tp != nil {
			o.tp = tp
		}
	})
}

// WithPropagator sets the propagator that writes params._meta and HTTP
// headers; nil is ignored (default: W3C TraceContext + Baggage).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return optionFunc(func(o *options) {
		if p != nil {
			o.prop = p
		}
	})
}

// WithTransport sets the base HTTP transport of every request; nil is
// ignored (default: http.DefaultTransport).
func WithTransport(rt http.RoundTripper) Option {
	return optionFunc(func(o *options) {
		if rt != nil {
			o.base = rt
		}
	})
}

// WithOutput receives a line per step as the agent works; nil is ignored
// (default: discarded).
func WithOutput(w io.Writer) Option {
	return optionFunc(func(o *options) {
		if w != nil {
			o.out = w
		}
	})
}
