package telemetry

import (
	"context"

	"go-micro.dev/v5/server"
	"go.opentelemetry.io/otel/trace"
)

// NewHandlerWrapper returns a go-micro handler wrapper that extracts the
// caller's trace context from the request metadata (any key case; invalid
// values start a new trace) and opens a SERVER span around the handler. The
// handler's context metadata is rewritten to carry the SERVER span as parent,
// so even an uninstrumented client used inside the handler propagates the
// right parent instead of the caller's.
func NewHandlerWrapper(opts ...Option) server.HandlerWrapper {
	cfg := newConfig(opts)
	return func(next server.HandlerFunc) server.HandlerFunc {
		return func(ctx context.Context, req server.Request, rsp interface{}) error {
			if !cfg.traceHandler(ctx, req) {
				return next(ctx, req, rsp)
			}
			ctx = Extract(ctx, cfg.propagator)
			ctx, span := cfg.tracer.Start(ctx, rpcSpanName(req.Service(), req.Endpoint()),
				trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(rpcAttributes(req.Service(), req.Endpoint())...),
			)
			err := next(Inject(ctx, cfg.propagator), req, rsp)
			endRPCSpan(span, err)
			return err
		}
	}
}
