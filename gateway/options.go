package gateway

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"go-micro.dev/v5/auth"
	"go-micro.dev/v5/client"
	"go-micro.dev/v5/registry"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/noop"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/console"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/telemetry"
)

// Metadata keys set on every dispatched call, as go-micro's gateway/mcp sets
// them, so services written for it keep working. TraceIDKey carries the W3C
// trace id of the call (not a UUID beside it).
const (
	TraceIDKey   = "Mcp-Trace-Id"
	ToolNameKey  = "Mcp-Tool-Name"
	AccountIDKey = "Mcp-Account-Id"
)

// RateLimitConfig is go-micro gateway/mcp's per-tool rate limit.
type RateLimitConfig struct {
	RequestsPerSecond float64
	Burst             int
}

// CircuitBreakerConfig mirrors go-micro gateway/mcp's field so that code
// setting it still compiles; tracegate rejects it (see [Options.Validate]).
type CircuitBreakerConfig struct {
	MaxFailures int
	Timeout     time.Duration
}

// Options configures a [Gateway]. The first block of fields has the names and
// types of go-micro's gateway/mcp Options, so a user can switch by changing
// the import; fields tracegate does not implement are rejected by
// [Options.Validate] instead of being ignored.
type Options struct {
	// Registry discovers the services whose endpoints become tools. Required.
	Registry registry.Registry
	// Address is the HTTP listen address for [Serve] (default 127.0.0.1:8080).
	Address string
	// Client dispatches calls. Default: a client with its own selector on
	// Registry, a memory broker and the HTTP transport.
	Client client.Client
	// Context bounds the gateway's life in [Serve].
	Context context.Context
	// Logger receives operational messages (skipped endpoints, watcher errors).
	Logger *log.Logger
	// AuthFunc is go-micro's per-request HTTP hook: not supported, rejected.
	AuthFunc func(r *http.Request) error
	// Auth verifies bearer tokens with go-micro's auth.Auth.
	Auth auth.Auth
	// AuditFunc receives a copy of every audit record.
	AuditFunc AuditFunc
	// RateLimit is a per-tool token bucket.
	RateLimit *RateLimitConfig
	// CircuitBreaker is not supported, rejected.
	CircuitBreaker *CircuitBreakerConfig
	// Scopes overrides the scopes services declare, by tool name.
	Scopes map[string][]string
	// TraceProvider records the gateway's spans. Default: no tracing.
	TraceProvider trace.TracerProvider
	// Payment (go-micro's x402) is not supported: any non-nil value is rejected.
	Payment any

	// MeterProvider records mcp.server.operation.duration. Default: none.
	MeterProvider metric.MeterProvider
	// LoggerProvider receives events (decisions, audit) as OTel log records;
	// give it a telemetry.SpanEventProcessor to see them as span events.
	LoggerProvider otellog.LoggerProvider
	// Propagator reads and writes trace context (default W3C TraceContext +
	// Baggage).
	Propagator propagation.TextMapPropagator
	// Verifier authenticates bearer tokens, overriding Auth and Config.Auth
	// (custom identity providers, tests).
	Verifier policy.Verifier
	// Limiter replaces the in-memory limiter built from Config.Policy, e.g.
	// policy.NewRedisLimiter shared by several replicas.
	Limiter policy.Limiter
	// SessionStore replaces the in-memory table of 2025-11-25 sessions,
	// e.g. [NewRedisSessionStore] shared by several replicas. The gateway
	// closes it.
	SessionStore SessionStore
	// IdentityKey signs the downstream identities, overriding
	// Config.Identity.KeyFile.
	IdentityKey ed25519.PrivateKey
	// StdioToken is the stdio client's credential (flag or env), verified
	// like a bearer token on every request.
	StdioToken string
	// ConsoleVerifier verifies the console's tokens (Config.Console),
	// overriding the JWT verifier built from Config.Auth with the console's
	// resource as audience (tests, custom identity providers).
	ConsoleVerifier policy.Verifier
	// AuditSinks receive every audit record besides the configured ones.
	AuditSinks []audit.Sink
	// AuditOptions are passed to audit.New after the gateway's own (e.g.
	// audit.WithFileOptions(audit.WithFileSystem(…)) to place the log on a
	// file system of the caller's).
	AuditOptions []audit.Option
	// Config holds everything else, loadable from YAML ([LoadConfig]).
	Config Config
	// ConfigFile is the YAML file Config was loaded from. With it the
	// policy is reloaded when the file changes and on [Gateway.ReloadPolicy]
	// (SIGHUP), and [Gateway.UpdatePolicy] (the console) writes changes
	// back to it. Without it the policy is fixed.
	ConfigFile string
}

// Errors returned by [Options.Validate].
var (
	ErrNoRegistry     = errors.New("gateway: Options.Registry is required")
	ErrNotImplemented = errors.New("gateway: option not implemented by tracegate")
	ErrNoAuth         = errors.New("gateway: no way to authenticate callers: set Auth, Verifier, Config.Auth.Issuer or JWKSURL (or Config.Auth.Anonymous for local development)")
	ErrNoResource     = errors.New("gateway: Config.Auth.Resource (the gateway's resource URI, the tokens' audience) is required with JWT auth")
)

// Validate checks the options, rejecting go-micro fields tracegate does not
// implement.
func (o Options) Validate() error {
	var errs []error
	if o.Registry == nil {
		errs = append(errs, ErrNoRegistry)
	}
	if o.AuthFunc != nil {
		errs = append(errs, fmt.Errorf("%w: AuthFunc (use Auth or Config.Auth: per-tool scopes need a verified principal)", ErrNotImplemented))
	}
	if o.CircuitBreaker != nil {
		errs = append(errs, fmt.Errorf("%w: CircuitBreaker", ErrNotImplemented))
	}
	if o.Payment != nil {
		errs = append(errs, fmt.Errorf("%w: Payment", ErrNotImplemented))
	}
	a := o.Config.Auth
	jwt := a.Issuer != "" || a.JWKSURL != ""
	if o.Verifier == nil && o.Auth == nil && !jwt && !a.Anonymous {
		errs = append(errs, ErrNoAuth)
	}
	if o.Verifier == nil && o.Auth == nil && jwt && a.Resource == "" {
		errs = append(errs, ErrNoResource)
	}
	if o.Config.Console.Enabled && o.ConsoleVerifier == nil && !jwt {
		errs = append(errs, ErrConsoleNoAuth)
	}
	if o.Config.Console.Enabled && o.Config.consoleConfig().Resource == "" {
		errs = append(errs, fmt.Errorf("%w (or auth.resource to derive it from)", console.ErrNoResource))
	}
	if rl := o.RateLimit; rl != nil && (rl.RequestsPerSecond <= 0 || rl.Burst < 1) {
		errs = append(errs, fmt.Errorf("%w: RateLimit needs RequestsPerSecond > 0 and Burst >= 1", policy.ErrInvalidLimit))
	}
	if err := o.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// withDefaults fills the telemetry providers and address.
func (o Options) withDefaults() Options {
	if o.Address == "" {
		o.Address = "127.0.0.1:8080"
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	if o.Logger == nil {
		o.Logger = log.New(log.Writer(), "tracegate: ", log.LstdFlags)
	}
	if o.TraceProvider == nil {
		o.TraceProvider = tracenoop.NewTracerProvider()
	}
	if o.MeterProvider == nil {
		o.MeterProvider = metricnoop.NewMeterProvider()
	}
	if o.LoggerProvider == nil {
		o.LoggerProvider = noop.NewLoggerProvider()
	}
	if o.Propagator == nil {
		o.Propagator = telemetry.NewPropagator()
	}
	// go-micro's Scopes and RateLimit are shorthands for policy config.
	for tool, scopes := range o.Scopes {
		o.Config.Policy.Scopes.Overrides = append(o.Config.Policy.Scopes.Overrides,
			policy.ScopeOverride{Tool: tool, Scopes: scopes})
	}
	if rl := o.RateLimit; rl != nil {
		o.Config.Policy.RateLimit.Tools = append(o.Config.Policy.RateLimit.Tools,
			policy.ToolLimit{Tool: "*", Limit: policy.Limit{Rate: rl.RequestsPerSecond, Burst: rl.Burst}})
	}
	return o
}
