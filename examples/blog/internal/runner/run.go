package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"

	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/telemetry"
)

// ShutdownTimeout bounds stopping the service and flushing telemetry.
const ShutdownTimeout = 10 * time.Second

// NewFunc builds a blog service (users.New, posts.New, comments.New).
type NewFunc func(svc.Options) (*svc.Service, error)

// Config is what [Run] needs.
type Config struct {
	Registry  registry.Registry
	Address   string
	Providers telemetry.Providers
	// Shutdown flushes telemetry after the service stopped; may be nil.
	Shutdown telemetry.ShutdownFunc
	// Log receives one line on start and one on stop; may be nil.
	Log io.Writer
	// HandlerWrappers wrap the service's handlers inside the tracing wrapper.
	HandlerWrappers []server.HandlerWrapper
	// Built, when set, is called with the service before it starts.
	Built func(*svc.Service)
}

// Run builds and starts the service, waits for ctx to end (SIGINT or SIGTERM
// in the binaries), then stops it (waiting for in-flight calls and
// deregistering) and flushes telemetry.
func Run(ctx context.Context, newSvc NewFunc, c Config) error {
	if c.Log == nil {
		c.Log = io.Discard
	}
	o := svc.Options{Registry: c.Registry, Address: c.Address, HandlerWrappers: c.HandlerWrappers}
	// Only non-nil providers: a nil *sdktrace.TracerProvider in an interface
	// is not a nil interface.
	if c.Providers.TracerProvider != nil {
		o.TracerProvider = c.Providers.TracerProvider
	}
	if c.Providers.LoggerProvider != nil {
		o.LoggerProvider = c.Providers.LoggerProvider
	}
	s, err := newSvc(o)
	if err != nil {
		return errors.Join(err, c.flush(ctx))
	}
	if c.Built != nil {
		c.Built(s)
	}
	if err := s.Start(); err != nil {
		return errors.Join(err, s.Stop(), c.flush(ctx))
	}
	fmt.Fprintf(c.Log, "%s: serving on %s (registry %s)\n", s.Name(), s.Address(), c.Registry)
	<-ctx.Done()
	fmt.Fprintf(c.Log, "%s: stopping\n", s.Name())
	return errors.Join(s.Stop(), c.flush(ctx))
}

func (c Config) flush(ctx context.Context) error {
	if c.Shutdown == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry shutdown: %w", err)
	}
	return nil
}
