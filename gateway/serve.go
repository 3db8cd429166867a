package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// shutdownGrace bounds how long in-flight calls may finish on shutdown.
const shutdownGrace = 15 * time.Second

// HTTPServer returns an http.Server for the gateway with production
// timeouts. There is no write timeout: MCP GET streams are long-lived.
func (g *Gateway) HTTPServer() *http.Server {
	srv := &http.Server{
		Handler:           g.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if g.console != nil {
		srv.RegisterOnShutdown(g.console.Close) // its live streams never go idle
	}
	return srv
}

// Serve runs a gateway on opts.Address until opts.Context ends, like
// go-micro's gateway/mcp Serve.
func Serve(opts Options) error {
	return ListenAndServe(opts.Address, opts)
}

// ListenAndServe runs a gateway over HTTP on address until opts.Context
// ends, then stops accepting, lets in-flight calls finish (up to 15 s) and
// stops discovery.
func ListenAndServe(address string, opts Options) error {
	opts.Address = address
	g, err := New(opts)
	if err != nil {
		return err
	}
	defer g.Close()
	ctx := g.opts.Context
	if err := g.Start(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", g.opts.Address)
	if err != nil {
		return fmt.Errorf("gateway: listen: %w", err)
	}
	return g.ServeListener(ctx, ln)
}

// ServeListener serves HTTP on ln until ctx ends, then shuts down
// gracefully: new connections are refused, in-flight requests finish within
// the grace period, remaining streams are closed.
func (g *Gateway) ServeListener(ctx context.Context, ln net.Listener) error {
	srv := g.HTTPServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("gateway: serve: %w", err)
	case <-ctx.Done():
	}
	g.drain()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	srv.SetKeepAlivesEnabled(false)
	err := srv.Shutdown(sctx)
	g.closeSessions()
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close() // long-lived GET streams never go idle
	}
	<-errc
	return err
}
