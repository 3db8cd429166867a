package svc

import (
	"context"
	"errors"
	"fmt"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/server"

	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/telemetry"
)

// ScopePrefix prefixes each service's instrumentation scope name.
const ScopePrefix = "github.com/tracegate/tracegate/examples/blog/"

// Service is one running (or startable) blog service: a go-micro server, a
// client for the services it calls and an event emitter.
type Service struct {
	name    string
	server  server.Server
	client  *microkit.Client
	emitter *telemetry.Emitter
	calls   []string
}

// New builds the server and client of the service name from o. The server
// is traced by the telemetry handler wrapper (outermost, then
// o.HandlerWrappers); the client by the telemetry client wrapper, one CLIENT
// span per call whatever the retries. The client's recovery events (a
// registry update for a called service, a node dropped after refusing a
// connection) are emitted as OTel events on the current span.
func New(name string, o Options) (*Service, error) {
	if o.Registry == nil {
		return nil, fmt.Errorf("blog %s: %w", name, microkit.ErrNoRegistry)
	}
	em := telemetry.NewEmitter(o.LoggerProvider, ScopePrefix+name)
	tp := telemetry.WithTracerProvider(o.TracerProvider)
	wrappers := append([]server.HandlerWrapper{telemetry.NewHandlerWrapper(tp)}, o.HandlerWrappers...)
	sopts := []microkit.Option{microkit.WithRegistry(o.Registry), microkit.WithLogger(o.Logger),
		microkit.WithAddress(o.Address), microkit.WithHandlerWrappers(wrappers...)}
	srv, err := microkit.NewServer(name, append(sopts, o.ServerOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("blog %s: %w", name, err)
	}
	copts := []microkit.Option{microkit.WithRegistry(o.Registry), microkit.WithLogger(o.Logger),
		microkit.WithClientWrappers(telemetry.NewClientWrapper(tp)),
		microkit.WithEvents(func(ctx context.Context, e microkit.Event) { em.Emit(ctx, e.Name(), e.Attributes()...) }),
	}
	cli, err := microkit.NewClient(append(copts, o.ClientOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("blog %s: %w", name, err)
	}
	return &Service{name: name, server: srv, client: cli, emitter: em}, nil
}

// Calls declares the services s calls. Start looks each of them up once,
// before it serves, so the first call does not wait for the registry (a
// NATS lookup waits its whole 100 ms query timeout for answers). A service
// not registered yet is looked up by the first call instead.
func (s *Service) Calls(services ...string) {
	s.calls = append(s.calls, services...)
}

// Name is the registered service name.
func (s *Service) Name() string { return s.name }

// Server is the go-micro server.
func (s *Service) Server() server.Server { return s.server }

// Client is the traced client the service uses for downstream calls.
func (s *Service) Client() client.Client { return s.client }

// Emitter emits the service's domain events.
func (s *Service) Emitter() *telemetry.Emitter { return s.emitter }

// Handle registers handler h with its endpoint options.
func (s *Service) Handle(h any, opts ...server.HandlerOption) error {
	if err := s.server.Handle(s.server.NewHandler(h, opts...)); err != nil {
		return fmt.Errorf("blog %s: handle: %w", s.name, err)
	}
	return nil
}

// Start resolves the services declared with [Service.Calls], then listens
// and registers the service; it is registered when Start returns.
func (s *Service) Start() error {
	for _, name := range s.calls {
		_ = s.client.Warm(name) // not registered yet: its first call looks it up
	}
	if err := s.server.Start(); err != nil {
		return fmt.Errorf("blog %s: start: %w", s.name, err)
	}
	return nil
}

// Address is the registered address (127.0.0.1:port by default); empty
// before Start.
func (s *Service) Address() string {
	return s.server.Options().Advertise
}

// Stop waits for in-flight requests, deregisters the service, stops
// listening and closes its client.
func (s *Service) Stop() error {
	var errs []error
	if err := s.server.Stop(); err != nil {
		errs = append(errs, fmt.Errorf("blog %s: stop: %w", s.name, err))
	}
	if err := s.client.Close(); err != nil {
		errs = append(errs, fmt.Errorf("blog %s: %w", s.name, err))
	}
	return errors.Join(errs...)
}
