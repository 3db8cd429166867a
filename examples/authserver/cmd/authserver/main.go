// Command authserver runs the DEV-ONLY OAuth 2.1 authorization server of the
// tracegate demo until SIGINT or SIGTERM. Never use it for anything real:
// secrets come from flags, keys are generated per start, there is no TLS.
//
//	authserver [--addr 127.0.0.1:9090] [--issuer URL] [--audience http://127.0.0.1:8080/mcp]
//	           [--clients 'id:secret:scope,scope;...' | --clients @clients.yaml]
//	           [--user demo-user] [--user-scopes 'blog:read blog:write']
//	           [--token-ttl 5m] [--key-file key.pem]
//	authserver healthcheck [--url http://127.0.0.1:9090/healthz]
//
// Every flag has an AUTHSERVER_* environment default (see -h). Without
// --clients it serves the demo clients demo-agent/demo-secret (blog:read
// blog:write) and admin-agent/admin-secret (also blog:admin). MCP clients
// that sign a user in (authorization code + PKCE, consent page) need no
// configuration: they register through a client metadata document or
// RFC 7591, and may be granted --user-scopes. The healthcheck
// subcommand exits 0 when the URL answers 200, for container healthchecks
// (the image has no shell or curl). Telemetry follows the standard OTEL_*
// variables.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/tracegate/tracegate/examples/authserver"
	"github.com/tracegate/tracegate/telemetry"

	// go-micro (linked through telemetry) prints a TLS warning at init unless
	// MICRO_TLS_SECURE is set; this sets it first (see the package doc).
	_ "github.com/tracegate/tracegate/internal/microkit/securetls"
)

// Timeouts of the HTTP server and the health probe.
const (
	readHeaderTimeout = 5 * time.Second
	shutdownTimeout   = 10 * time.Second
	probeTimeout      = 3 * time.Second
)

func main() {
	if err := run(os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "authserver:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "healthcheck" {
		url, err := parseHealthcheck(args[1:], os.Stderr)
		if err != nil {
			return err
		}
		return probe(context.Background(), url)
	}
	f, err := parseFlags(args, os.Getenv, os.Stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, f, os.Stderr)
}

func serve(ctx context.Context, f flags, logOut io.Writer) error {
	log := slog.New(slog.NewTextHandler(logOut, nil))
	cfg, err := f.config()
	if err != nil {
		return err
	}
	cfg.Logger = log
	srv, err := authserver.New(cfg)
	if err != nil {
		return err
	}
	providers, shutdown, err := telemetry.Setup(ctx, telemetry.WithServiceName("authserver"))
	if err != nil {
		return err
	}
	providers.Install()
	ln, err := net.Listen("tcp", f.Addr)
	if err != nil {
		return errors.Join(err, shutdown(context.WithoutCancel(ctx)))
	}
	announce(log, srv, f, cfg.Clients, ln.Addr().String())

	hs := &http.Server{
		Handler:           otelhttp.NewHandler(srv.Handler(), "authserver", otelhttp.WithSpanNameFormatter(spanName)),
		ReadHeaderTimeout: readHeaderTimeout,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("stopping")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		err = hs.Shutdown(sctx)
		<-errc
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	return errors.Join(err, shutdown(sctx))
}

// announce logs the dev-only warning and what a client needs to know.
func announce(log *slog.Logger, srv *authserver.Server, f flags, clients []authserver.Client, addr string) {
	log.Warn("DEV ONLY: this authorization server is for the tracegate demo; never use it for real credentials")
	log.Info("serving", "addr", addr, "issuer", srv.Issuer(), "audience", srv.Audience(), "kid", srv.KeyID(),
		"metadata", strings.TrimSuffix(srv.Issuer(), "/")+authserver.MetadataPath,
		"token_endpoint", srv.Metadata().TokenEndpoint, "authorization_endpoint", srv.Metadata().AuthorizationEndpoint,
		"registration_endpoint", srv.Metadata().RegistrationEndpoint, "user", f.User, "user_scopes", f.UserScopes)
	for _, c := range clients {
		attrs := []any{"client_id", c.ID, "scopes", strings.Join(c.Scopes, " ")}
		if f.Clients == "" {
			// The built-in demo clients are public knowledge; configured
			// secrets are never printed.
			attrs = append(attrs, "client_secret", c.Secret)
		}
		log.Info("client", attrs...)
	}
}

// spanName names server spans after the fixed routes only, so a scan of
// random paths cannot blow up span-name cardinality.
func spanName(_ string, r *http.Request) string {
	switch p := r.URL.Path; p {
	case authserver.MetadataPath, authserver.OpenIDConfigurationPath, authserver.JWKSPath, authserver.AuthorizePath,
		authserver.ConsentPath, authserver.TokenPath, authserver.RegisterPath, authserver.HealthPath:
		return r.Method + " " + p
	default:
		return r.Method
	}
}

// probe GETs url and fails unless it answers 200.
func probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<10))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, res.Status)
	}
	return nil
}
