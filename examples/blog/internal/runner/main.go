package runner

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"go-micro.dev/v5/server"
	"go.opentelemetry.io/otel/attribute"

	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/telemetry"
)

// EventGuardDecision is the event a guarded service emits per request.
const EventGuardDecision = "tracegate.guard.decision"

// Main is a blog service binary: flags and env, telemetry from OTEL_*,
// the gateway identity guard when --identity-jwks is set, serve until
// SIGINT/SIGTERM. It returns the process exit status.
func Main(name string, newSvc NewFunc) int {
	if err := main(name, newSvc); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

func main(name string, newSvc NewFunc) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	flags, err := ParseFlags(name, os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		return err
	}
	reg, err := flags.NewRegistry()
	if err != nil {
		return err
	}
	providers, shutdown, err := telemetry.Setup(ctx, telemetry.WithServiceName(name))
	if err != nil {
		return err
	}
	providers.Install()
	var built atomic.Pointer[svc.Service]
	c := Config{Registry: reg, Address: flags.Address, Providers: providers, Shutdown: shutdown, Log: os.Stderr,
		Built: func(s *svc.Service) { built.Store(s) }}
	// The guard reads each endpoint's declared scopes from the service's own
	// registration, once the service exists.
	builtServer := func() server.Server {
		if s := built.Load(); s != nil {
			return s.Server()
		}
		return nil
	}
	if w, err := flags.guard(telemetry.NewEmitter(providers.LoggerProvider, ""), builtServer); err != nil {
		return errors.Join(err, c.flush(ctx))
	} else if w != nil {
		c.HandlerWrappers = append(c.HandlerWrappers, w)
	}
	return Run(ctx, newSvc, c)
}

// guard builds the identity guard, or nil without --identity-jwks. Calls
// forwarded from another blog service (posts → users) carry the identity
// minted for the entry tool and are accepted as such.
func (f Flags) guard(em *telemetry.Emitter, srv func() server.Server) (server.HandlerWrapper, error) {
	if f.IdentityJWKS == "" {
		return nil, nil
	}
	opts := []guard.Option{
		guard.WithJWKSURL(f.IdentityJWKS),
		guard.WithForwardedIdentities(),
		guard.WithServerFunc(srv),
		guard.WithDecisionHook(func(ctx context.Context, d guard.Decision) {
			em.Emit(ctx, EventGuardDecision,
				attribute.Bool("tracegate.guard.allowed", d.Allowed),
				attribute.String("tracegate.guard.reason", string(d.Reason)),
				attribute.String("tracegate.guard.endpoint", d.Service+"."+d.Endpoint),
				attribute.String("tracegate.subject", d.Identity.Subject),
				attribute.String("tracegate.intent.id", d.Identity.IntentID))
		}),
	}
	if f.RateLimit > 0 {
		opts = append(opts, guard.WithRateLimit(f.RateLimit, f.RateBurst))
	}
	return guard.New(opts...)
}
