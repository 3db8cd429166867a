package svc

import (
	"go-micro.dev/v5/logger"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/internal/microkit"
)

// Options configure one blog service.
type Options struct {
	// Registry is where the service registers and finds the others; required.
	Registry registry.Registry
	// TracerProvider traces the server and its client; nil records nothing.
	TracerProvider trace.TracerProvider
	// LoggerProvider receives the domain events; nil drops them.
	LoggerProvider log.LoggerProvider
	// HandlerWrappers run inside the tracing wrapper, first outermost (the
	// guard wrapper goes here, so a denial still has a SERVER span).
	HandlerWrappers []server.HandlerWrapper
	// Address is the listen address; default 127.0.0.1:0.
	Address string
	// Logger is go-micro's logger; nil means go-micro's default.
	Logger logger.Logger
	// ServerOptions are added to the options of the service's server, after
	// the registry, logger, address and handler wrappers; e.g.
	// microkit.WithTransport in tests.
	ServerOptions []microkit.Option
	// ClientOptions are added to the options of the service's own client
	// (the one it calls other services with), after the registry, logger
	// and tracing wrapper; e.g. microkit.WithConnMode in benchmarks.
	ClientOptions []microkit.Option
}
