package telemetry

import (
	"context"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/registry"
	"go.opentelemetry.io/otel/trace"
)

// NewClientWrapper returns a go-micro client wrapper that opens a CLIENT span
// around every Call and Stream and injects its context into the call's
// metadata: exactly one lowercase traceparent (plus tracestate and baggage),
// whatever keys the caller's context already carried.
func NewClientWrapper(opts ...Option) client.Wrapper {
	cfg := newConfig(opts)
	return func(c client.Client) client.Client {
		return &clientWrapper{Client: c, cfg: cfg}
	}
}

type clientWrapper struct {
	client.Client
	cfg config
}

func (w *clientWrapper) Call(ctx context.Context, req client.Request, rsp interface{}, opts ...client.CallOption) error {
	if !w.cfg.traceClient(ctx, req) {
		return w.Client.Call(ctx, req, rsp, opts...)
	}
	ctx, span := w.cfg.startClient(ctx, req, "")
	err := w.Client.Call(ctx, req, rsp, opts...)
	endRPCSpan(span, err)
	return err
}

func (w *clientWrapper) Stream(ctx context.Context, req client.Request, opts ...client.CallOption) (client.Stream, error) {
	if !w.cfg.traceClient(ctx, req) {
		return w.Client.Stream(ctx, req, opts...)
	}
	ctx, span := w.cfg.startClient(ctx, req, "")
	s, err := w.Client.Stream(ctx, req, opts...)
	endRPCSpan(span, err)
	return s, err
}

// NewCallWrapper returns a go-micro call wrapper: like [NewClientWrapper] but
// run per attempt on the selected node, so the span also carries
// server.address and server.port. Use one of the two, not both.
func NewCallWrapper(opts ...Option) client.CallWrapper {
	cfg := newConfig(opts)
	return func(next client.CallFunc) client.CallFunc {
		return func(ctx context.Context, node *registry.Node, req client.Request, rsp interface{}, o client.CallOptions) error {
			if !cfg.traceClient(ctx, req) {
				return next(ctx, node, req, rsp, o)
			}
			addr := ""
			if node != nil {
				addr = node.Address
			}
			ctx, span := cfg.startClient(ctx, req, addr)
			err := next(ctx, node, req, rsp, o)
			endRPCSpan(span, err)
			return err
		}
	}
}

func (c config) startClient(ctx context.Context, req client.Request, addr string) (context.Context, trace.Span) {
	attrs := append(rpcAttributes(req.Service(), req.Endpoint()), addressAttributes(addr)...)
	ctx, span := c.tracer.Start(ctx, rpcSpanName(req.Service(), req.Endpoint()),
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attrs...),
	)
	return Inject(ctx, c.propagator), span
}
