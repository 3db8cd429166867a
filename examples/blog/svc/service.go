package svc

import (
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
}

// New builds the server and client of the service name from o. The server
// is traced by the telemetry handler wrapper (outermost, then
// o.HandlerWrappers); the client by the telemetry client wrapper, one CLIENT
// span per call whatever the retries.
func New(name string, o Options) (*Service, error) {
	if o.Registry == nil {
		return nil, fmt.Errorf("blog %s: %w", name, microkit.ErrNoRegistry)
	}
	tp := telemetry.WithTracerProvider(o.TracerProvider)
	common := []microkit.Option{microkit.WithRegistry(o.Registry), microkit.WithLogger(o.Logger)}
	wrappers := append([]server.HandlerWrapper{telemetry.NewHandlerWrapper(tp)}, o.HandlerWrappers...)
	srv, err := microkit.NewServer(name, append(common,
		microkit.WithAddress(o.Address),
		microkit.WithHandlerWrappers(wrappers...),
	)...)
	if err != nil {
		return nil, fmt.Errorf("blog %s: %w", name, err)
	}
	copts := append(append(common, microkit.WithClientWrappers(telemetry.NewClientWrapper(tp))), o.ClientOptions...)
	cli, err := microkit.NewClient(copts...)
	if err != nil {
		return nil, fmt.Errorf("blog %s: %w", name, err)
	}
	return &Service{
		name:    name,
		server:  srv,
		client:  cli,
		emitter: telemetry.NewEmitter(o.LoggerProvider, ScopePrefix+name),
	}, nil
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

// Start listens and registers the service; it is registered when Start
// returns.
func (s *Service) Start() error {
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
