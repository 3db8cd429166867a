//go:build e2e

package jaeger_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/registry"
	"go.opentelemetry.io/otel"

	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
	"github.com/tracegate/tracegate/telemetry"
)

// flushTimeout bounds the final export of one service's providers.
const flushTimeout = 15 * time.Second

// providers builds the telemetry of one process, exporting to the Jaeger the
// OTEL_* variables point at. flush shuts the providers down, exporting what
// they hold; it runs once, at the latest when the test ends.
func providers(t *testing.T, service string) (p telemetry.Providers, flush func()) {
	t.Helper()
	p, shutdown, err := telemetry.Setup(context.Background(), telemetry.WithServiceName(service))
	if err != nil {
		t.Fatalf("telemetry.Setup(%s): %v", service, err)
	}
	var once sync.Once
	flush = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
			defer cancel()
			if err := shutdown(ctx); err != nil {
				t.Errorf("flush %s telemetry: %v", service, err)
			}
		})
	}
	t.Cleanup(flush)
	return p, flush
}

// startService builds and starts one blog service with its own providers on
// reg; it stops when the test ends.
func startService(t *testing.T, newSvc func(svc.Options) (*svc.Service, error), reg registry.Registry, p telemetry.Providers) {
	t.Helper()
	s, err := newSvc(svc.Options{
		Registry:       reg,
		TracerProvider: p.TracerProvider,
		LoggerProvider: p.LoggerProvider,
		Logger:         microkittest.QuietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		_ = s.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop %s: %v", s.Name(), err)
		}
	})
}

// otelErrors collects what OpenTelemetry reports through otel.Handle (a
// refused export shows up nowhere else). The handler is process-wide; tests
// in this package do not run in parallel.
type otelErrors struct {
	mu   sync.Mutex
	errs []error
}

func recordOTelErrors(t *testing.T) *otelErrors {
	t.Helper()
	e := &otelErrors{}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.errs = append(e.errs, err)
	}))
	return e
}

// check fails the test if OpenTelemetry reported any error.
func (e *otelErrors) check(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, err := range e.errs {
		t.Errorf("OpenTelemetry error: %v", err)
	}
}
