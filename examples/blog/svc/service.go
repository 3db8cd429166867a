package svc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/server"

	"github.com/tracegate/tracegate/gateway/tool"
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
	calls   []string // services the endpoints call, from tool.Calls
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

// Name is the registered service name.
func (s *Service) Name() string { return s.name }

// Server is the go-micro server.
func (s *Service) Server() server.Server { return s.server }

// Client is the traced client the service uses for downstream calls.
func (s *Service) Client() client.Client { return s.client }

// Emitter emits the service's domain events.
func (s *Service) Emitter() *telemetry.Emitter { return s.emitter }

// Handle registers handler h with its endpoint options. The services its
// endpoints declare they call (tool.Calls) are looked up once by Start.
func (s *Service) Handle(h any, opts ...server.HandlerOption) error {
	hd := s.server.NewHandler(h, opts...)
	if err := s.server.Handle(hd); err != nil {
		return fmt.Errorf("blog %s: handle: %w", s.name, err)
	}
	for _, ep := range hd.Endpoints() {
		for _, call := range tool.ParseCalls(ep.Metadata[tool.MetadataCalls]) {
			if name := serviceOf(call); name != "" && name != s.name && !slices.Contains(s.calls, name) {
				s.calls = append(s.calls, name)
			}
		}
	}
	return nil
}

// serviceOf returns the service of a downstream endpoint name
// "<service>.<Handler>.<Method>" (the service name may contain dots), or
// "" for anything else.
func serviceOf(endpoint string) string {
	i := strings.LastIndexByte(endpoint, '.')
	if i < 0 {
		return ""
	}
	j := strings.LastIndexByte(endpoint[:i], '.')
	if j <= 0 {
		return ""
	}
	return endpoint[:j]
}

// Start looks up once the services the endpoints declare they call
// (tool.Calls), so the first call to each does not wait for the registry (a
// NATS lookup waits its whole 100 ms query timeout for answers; a service
// not registered yet is looked up by its first call instead), then listens
// and registers the service; it is registered when Start returns.
func (s *Service) Start() error {
	for _, name := range s.calls {
		_ = s.client.Warm(name)
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
