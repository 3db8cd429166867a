package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/telemetry"
)

// serve runs the gateway until ctx ends (SIGINT/SIGTERM), then drains
// in-flight calls, closes the audit trail and flushes telemetry.
func serve(ctx context.Context, args []string, stdin io.ReadCloser, stdout, stderr io.Writer) int {
	logger := log.New(stderr, "tracegate: ", log.LstdFlags)
	f, err := parseServeFlags(args, stderr)
	if err != nil {
		return parseExit(err)
	}
	logger.Print(tuneRuntime(thisProcess()))
	cfg, err := f.gatewayConfig()
	if err != nil {
		logger.Print(err)
		return 2
	}
	// Refuse a configuration that cannot authenticate before anything starts.
	if a := cfg.Auth; !a.Anonymous && a.Issuer == "" && a.JWKSURL == "" {
		logger.Printf("%v (flags: --auth-issuer/--auth-resource, or --anonymous)", gateway.ErrNoAuth)
		return 2
	}
	if err := sharedState(f, cfg); err != nil {
		logger.Print(err)
		return 2
	}
	if err := runGateway(ctx, f, cfg, logger, stdin, stdout); err != nil {
		logger.Print(err)
		return 1
	}
	return 0
}

func runGateway(ctx context.Context, f *serveFlags, cfg gateway.Config, logger *log.Logger, stdin io.ReadCloser, stdout io.Writer) (err error) {
	// The gateway's own spans are evidence: recorded whatever the client's
	// sampled flag (EvidenceSampler), and every audit checkpoint is
	// published (CheckpointSampler); OTEL_TRACES_SAMPLER decides the rest.
	base, err := telemetry.SamplerFromEnv()
	if err != nil {
		return err
	}
	setup := []telemetry.SetupOption{telemetry.WithServiceName("tracegate"),
		telemetry.WithSampler(audit.CheckpointSampler(telemetry.EvidenceSampler(base)))}
	if cfg.ReplicaID != "" {
		setup = append(setup, telemetry.WithResourceAttributes(semconv.ServiceInstanceID(cfg.ReplicaID)))
	}
	providers, shutdown, err := telemetry.Setup(ctx, setup...)
	if err != nil {
		return err
	}
	providers.Install()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if serr := shutdown(sctx); serr != nil {
			logger.Printf("telemetry shutdown: %v", serr)
		}
	}()

	reg, err := microkit.NewRegistry(f.registry, microkit.ParseAddrs(f.registryAddr))
	if err != nil {
		return err
	}
	opts := gateway.Options{
		Registry:       reg,
		Address:        f.addr,
		Context:        ctx,
		Logger:         logger,
		TraceProvider:  providers.TracerProvider,
		MeterProvider:  providers.MeterProvider,
		LoggerProvider: providers.LoggerProvider,
		Propagator:     providers.Propagator,
		StdioToken:     f.stdioToken,
		Config:         cfg,
		ConfigFile:     f.config,
	}
	if f.redisURL != "" {
		rc, err := redisClient(f)
		if err != nil {
			return err
		}
		defer rc.Close()
		mode := policy.FailClosed
		if f.redisFailOpen {
			mode = policy.FailOpen
		}
		if opts.Limiter, err = policy.NewRedisLimiter(rc, cfg.Policy.RateLimit, policy.WithFailMode(mode)); err != nil {
			return err
		}
		opts.SessionStore = gateway.NewRedisSessionStore(rc, gateway.WithSessionFailMode(mode), gateway.WithSessionLogger(logger))
	}
	if cfg.Replicas > 1 {
		logger.Printf("replica %s of %d; audit file %q", cfg.ReplicaID, cfg.Replicas, gateway.ReplicaAuditPath(cfg.Audit.File.Path, cfg.ReplicaID))
	}
	gw, err := gateway.New(opts)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := gw.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if err := gw.Start(ctx); err != nil {
		return err
	}
	stopHUP := reloadOnSIGHUP(ctx, gw, logger)
	defer stopHUP()
	if f.stdio {
		logger.Print("serving MCP on stdio")
		err := gw.ServeStdio(ctx, stdin, nopWriteCloser{stdout})
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return nil // SIGINT/SIGTERM: a clean stop
		}
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", f.addr, err)
	}
	logger.Printf("serving MCP on http://%s%s (registry %s)", ln.Addr(), gateway.MCPPath, f.registry)
	if cfg.Console.Enabled {
		logger.Printf("console on http://%s/console", ln.Addr())
	}
	return gw.ServeListener(ctx, ln)
}

// reloadOnSIGHUP reloads the policy from the --config file on every SIGHUP
// (the same reload as when the file changes on disk) until ctx ends or the
// returned stop is called.
func reloadOnSIGHUP(ctx context.Context, gw *gateway.Gateway, logger *log.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case <-hup:
				changed, err := gw.ReloadPolicy(ctx, gateway.SourceSIGHUP)
				switch {
				case err != nil:
					logger.Printf("SIGHUP: %v", err)
				case changed:
					_, hash := gw.CurrentPolicy()
					logger.Printf("SIGHUP: policy reloaded (%s)", hash)
				default:
					logger.Print("SIGHUP: policy unchanged")
				}
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
		<-finished
	}
}

// redisClient connects to the store the replicas share (limits and
// sessions).
func redisClient(f *serveFlags) (*redis.Client, error) {
	ropts, err := redis.ParseURL(f.redisURL)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	ropts.ContextTimeoutEnabled = true
	return redis.NewClient(ropts), nil
}

// errLocalLimits refuses several replicas each with its own limits.
var errLocalLimits = errors.New("--replicas > 1 without --redis: each replica would keep its own rate limits (N replicas, N times every limit) " +
	"and its own session table (a DELETEd session still served elsewhere, caps per replica); give --redis (shared, fail-closed), " +
	"or --allow-local-limits to run so anyway")

// sharedState refuses to start one of several replicas with in-memory
// limits and sessions unless explicitly allowed.
func sharedState(f *serveFlags, cfg gateway.Config) error {
	if cfg.Replicas > 1 && f.redisURL == "" && !f.allowLocalLimits {
		return errLocalLimits
	}
	return nil
}

// nopWriteCloser keeps the process's stdout open when the MCP session ends.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
