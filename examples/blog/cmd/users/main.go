// Command users runs the blog's users service until SIGINT or SIGTERM.
//
//	users [--registry memory|nats|etcd|consul|mdns] [--registry_address ADDRS] [--address 127.0.0.1:0]
//
// Telemetry follows the standard OTEL_* variables (OTLP over gRPC to
// 127.0.0.1:4317 by default).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tracegate/tracegate/examples/blog/internal/runner"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/telemetry"
)

func main() {
	if err := run(); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "users:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	flags, err := runner.ParseFlags(users.Name, os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		return err
	}
	reg, err := flags.NewRegistry()
	if err != nil {
		return err
	}
	providers, shutdown, err := telemetry.Setup(ctx, telemetry.WithServiceName(users.Name))
	if err != nil {
		return err
	}
	providers.Install()
	return runner.Run(ctx, users.New, runner.Config{
		Registry:  reg,
		Address:   flags.Address,
		Providers: providers,
		Shutdown:  shutdown,
		Log:       os.Stderr,
	})
}
