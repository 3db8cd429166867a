package runner_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/registry"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracegate/tracegate/examples/blog/internal/runner"
	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
	"github.com/tracegate/tracegate/telemetry"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func quietUsers(o svc.Options) (*svc.Service, error) {
	o.Logger = microkittest.QuietLogger()
	return users.New(o)
}

func TestRunServesUntilCancelledThenFlushes(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	flushed := false
	var log syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runner.Run(ctx, quietUsers, runner.Config{
			Registry:  reg,
			Providers: telemetry.Providers{TracerProvider: tp},
			Shutdown: func(ctx context.Context) error {
				flushed = true
				return tp.Shutdown(ctx)
			},
			Log: &log,
		})
	}()

	deadline := time.Now().Add(5 * time.Second)
	for {
		if svcs, err := reg.GetService(users.Name); err == nil && len(svcs) == 1 {
			if addr := svcs[0].Nodes[0].Address; !strings.HasPrefix(addr, "127.0.0.1:") {
				t.Errorf("registered %s, want loopback", addr)
			}
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("users never registered; log: %s", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if !flushed {
		t.Error("telemetry not flushed")
	}
	if _, err := reg.GetService(users.Name); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("still registered after Run: %v", err)
	}
	if l := log.String(); !strings.Contains(l, "users: serving on 127.0.0.1:") || !strings.Contains(l, "users: stopping") {
		t.Errorf("log = %q", l)
	}
}

func TestRunWithoutRegistryFlushesAndFails(t *testing.T) {
	flushed := false
	err := runner.Run(context.Background(), quietUsers, runner.Config{
		Shutdown: func(context.Context) error { flushed = true; return nil },
	})
	if err == nil || !flushed {
		t.Fatalf("Run = %v (flushed %v); want an error after flushing", err, flushed)
	}
}
