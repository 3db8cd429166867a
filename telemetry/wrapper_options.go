package telemetry

import (
	"context"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/server"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Option configures the go-micro wrappers.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// ClientFilter decides whether a client call is traced. Untraced calls are
// passed through untouched.
type ClientFilter func(ctx context.Context, req client.Request) bool

// HandlerFilter decides whether a handled request is traced.
type HandlerFilter func(ctx context.Context, req server.Request) bool

type config struct {
	tracer        trace.Tracer
	propagator    propagation.TextMapPropagator
	clientFilters []ClientFilter
	serverFilters []HandlerFilter
}

func newConfig(opts []Option) config {
	c := config{}
	var tp trace.TracerProvider = noop.NewTracerProvider()
	for _, o := range opts {
		o.apply(&c)
	}
	if c.tracer == nil {
		c.tracer = tp.Tracer(ScopeName)
	}
	if c.propagator == nil {
		c.propagator = NewPropagator()
	}
	return c
}

// WithTracerProvider sets the tracer provider; nil is ignored. Without it the
// wrappers record nothing (no global is consulted).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tracer = tp.Tracer(ScopeName, trace.WithInstrumentationVersion(Version))
		}
	})
}

// WithPropagators sets the propagator (default W3C TraceContext + Baggage);
// nil is ignored.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) {
		if p != nil {
			c.propagator = p
		}
	})
}

// WithClientFilter adds a filter; a call is traced only if every filter
// returns true.
func WithClientFilter(f ClientFilter) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.clientFilters = append(c.clientFilters, f)
		}
	})
}

// WithHandlerFilter adds a filter; a request is traced only if every filter
// returns true.
func WithHandlerFilter(f HandlerFilter) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.serverFilters = append(c.serverFilters, f)
		}
	})
}

func (c config) traceClient(ctx context.Context, req client.Request) bool {
	for _, f := range c.clientFilters {
		if !f(ctx, req) {
			return false
		}
	}
	return true
}

func (c config) traceHandler(ctx context.Context, req server.Request) bool {
	for _, f := range c.serverFilters {
		if !f(ctx, req) {
			return false
		}
	}
	return true
}
