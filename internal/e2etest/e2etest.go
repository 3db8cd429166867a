// Package e2etest holds what the end-to-end suites share: per-process
// OpenTelemetry providers exporting to the test's Jaeger, blog services
// started in-process with their own providers, and a collector of the
// errors OpenTelemetry reports.
package e2etest

import (
	"context"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	"go.opentelemetry.io/otel"

	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
	"github.com/tracegate/tracegate/telemetry"
)

// FlushTimeout bounds the final export of one process's providers.
const FlushTimeout = 15 * time.Second

// Providers builds the telemetry of one "process" named service, exporting
// where the OTEL_* variables point (jaegertest.Jaeger.Setenv). flush shuts
// the providers down, exporting what they hold; it runs once, at the latest
// when the test ends.
// opts are passed to telemetry.Setup after the service name (e.g. the
// gateway's sampler).
func Providers(t testing.TB, service string, opts ...telemetry.SetupOption) (p telemetry.Providers, flush func()) {
	t.Helper()
	p, shutdown, err := telemetry.Setup(context.Background(), append([]telemetry.SetupOption{telemetry.WithServiceName(service)}, opts...)...)
	if err != nil {
		t.Fatalf("telemetry.Setup(%s): %v", service, err)
	}
	var once sync.Once
	flush = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), FlushTimeout)
			defer cancel()
			if err := shutdown(ctx); err != nil {
				t.Errorf("flush %s telemetry: %v", service, err)
			}
		})
	}
	t.Cleanup(flush)
	return p, flush
}

// StartService builds and starts one blog service with its own providers on
// reg, wrapped by wrappers; it stops when the test ends.
func StartService(t testing.TB, newSvc func(svc.Options) (*svc.Service, error), reg registry.Registry,
	p telemetry.Providers, wrappers ...server.HandlerWrapper) {
	t.Helper()
	s, err := newSvc(svc.Options{
		Registry:        reg,
		TracerProvider:  p.TracerProvider,
		LoggerProvider:  p.LoggerProvider,
		HandlerWrappers: wrappers,
		Logger:          microkittest.QuietLogger(),
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

// OTelErrors collects what OpenTelemetry reports through otel.Handle (a
// refused export shows up nowhere else). The handler is process-wide; tests
// using it must not run in parallel.
type OTelErrors struct {
	mu   sync.Mutex
	errs []error
}

// RecordOTelErrors installs the collector as OpenTelemetry's error handler.
func RecordOTelErrors(t testing.TB) *OTelErrors {
	t.Helper()
	e := &OTelErrors{}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.errs = append(e.errs, err)
	}))
	return e
}

// Check fails the test if OpenTelemetry reported any error.
func (e *OTelErrors) Check(t testing.TB) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, err := range e.errs {
		t.Errorf("OpenTelemetry error: %v", err)
	}
}
