package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

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
	providers, shutdown, err := telemetry.Setup(ctx, telemetry.WithServiceName("tracegate"),
		telemetry.WithSampler(audit.CheckpointSampler(telemetry.EvidenceSampler(base))))
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
	}
	if f.redisURL != "" {
		l, closeRedis, err := redisLimiter(f, cfg)
		if err != nil {
			return err
		}
		defer closeRedis()
		opts.Limiter = l
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
	return gw.ServeListener(ctx, ln)
}

// redisLimiter builds the shared limiter from the configured limits.
func redisLimiter(f *serveFlags, cfg gateway.Config) (policy.Limiter, func(), error) {
	ropts, err := redis.ParseURL(f.redisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("redis: %w", err)
	}
	ropts.ContextTimeoutEnabled = true
	rc := redis.NewClient(ropts)
	mode := policy.FailClosed
	if f.redisFailOpen {
		mode = policy.FailOpen
	}
	l, err := policy.NewRedisLimiter(rc, cfg.Policy.RateLimit, policy.WithFailMode(mode))
	if err != nil {
		_ = rc.Close()
		return nil, nil, err
	}
	return l, func() { _ = rc.Close() }, nil
}

// nopWriteCloser keeps the process's stdout open when the MCP session ends.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
