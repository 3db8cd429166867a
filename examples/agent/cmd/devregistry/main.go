// Command devregistry runs an embedded NATS server on loopback as the
// go-micro registry of the local demo (scripts/demo.sh), until SIGINT or
// SIGTERM. It binds the client port only: no monitoring, cluster or
// leafnode listeners, and never mDNS.
//
//	devregistry [--addr 127.0.0.1:4222]
//
// It prints "devregistry: ready nats://HOST:PORT" once clients can connect.
// Services use it with --registry nats --registry_address nats://HOST:PORT.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/tracegate/tracegate/internal/microkit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	def := "127.0.0.1:4222"
	if v := getenv("DEVREGISTRY_ADDR"); v != "" {
		def = v
	}
	fs := flag.NewFlagSet("devregistry", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", def, "NATS client listen address, loopback only; port 0 picks a free one (env DEVREGISTRY_ADDR)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // -h: the usage is printed
		}
		return 2
	}
	host, portText, err := net.SplitHostPort(*addr)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil {
		fmt.Fprintf(stderr, "devregistry: bad --addr %q\n", *addr)
		return 2
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(stderr, "devregistry: --addr %q is not a loopback IP address\n", *addr)
		return 2
	}
	url, stopNATS, err := microkit.StartNATS(host, port)
	if err != nil {
		fmt.Fprintf(stderr, "devregistry: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "devregistry: ready %s\n", url)
	<-ctx.Done()
	stopNATS()
	fmt.Fprintln(stdout, "devregistry: stopped")
	return 0
}
