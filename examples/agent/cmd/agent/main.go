// Command agent plays an AI agent for one user message against a tracegate
// gateway: one message, one trace, from its root span through the gateway
// into the go-micro services.
//
//	agent [--gateway http://127.0.0.1:8080/mcp] [--auth http://127.0.0.1:9090]
//	      [--client-id demo-agent --client-secret demo-secret]
//	      [--jaeger http://127.0.0.1:16686] [--message "Publish a post titled 'Hello MCP' as alice and add a comment"]
//	      [--setup=false] [--protocol-version 2025-11-25]
//
// It prints each step, the trace id and its Jaeger URL, then, after flushing
// its telemetry and waiting until Jaeger holds the spans of every service,
// the trace as a tree. Telemetry follows the standard OTEL_* variables (OTLP
// over gRPC to 127.0.0.1:4317 by default), except that metrics are off
// unless OTEL_METRICS_EXPORTER is set: the agent has none of its own, and
// Jaeger, where the demo sends its telemetry, takes no metrics. Every flag
// has an environment default (see -h), as docker-compose.yml sets them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tracegate/tracegate/examples/agent"
	"github.com/tracegate/tracegate/telemetry"

	// go-micro (linked through telemetry) prints a TLS warning at init unless
	// MICRO_TLS_SECURE is set; this sets it first (see the package doc).
	_ "github.com/tracegate/tracegate/internal/microkit/securetls"
)

// flushTimeout bounds the final export of the agent's telemetry.
const flushTimeout = 15 * time.Second

func main() {
	// No metrics unless asked for (see the package doc): exporting them to
	// Jaeger only fails, with a warning at exit.
	if os.Getenv("OTEL_METRICS_EXPORTER") == "" {
		_ = os.Setenv("OTEL_METRICS_EXPORTER", "none")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run handles one message and returns the exit status: 0 when every step
// went as planned (the overreach refused), 1 otherwise, 2 for bad flags.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	f, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "agent: %v\n", err)
		return 2
	}
	providers, shutdown, err := telemetry.Setup(ctx, telemetry.WithServiceName("agent"))
	if err != nil {
		fmt.Fprintf(stderr, "agent: %v\n", err)
		return 1
	}
	providers.Install()
	flush := func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			fmt.Fprintf(stderr, "agent: flush telemetry: %v\n", err)
		}
	}
	ag, err := agent.New(f.cfg, agent.WithTracerProvider(providers.TracerProvider),
		agent.WithPropagator(providers.Propagator), agent.WithOutput(stdout))
	if err != nil {
		flush()
		fmt.Fprintf(stderr, "agent: %v\n", err)
		return 2
	}
	msg := agent.NewMessage(f.message)
	if f.messageID != "" {
		msg.ID = f.messageID
	}
	if f.setup {
		if err := ag.Setup(ctx, msg); err != nil {
			flush()
			fmt.Fprintf(stderr, "agent: %v\n", err)
			return 1
		}
	}
	res, handleErr := ag.Handle(ctx, msg)
	res.WriteSummary(stdout, f.jaegerUI)
	flush()
	if handleErr != nil {
		fmt.Fprintf(stderr, "agent: %v\n", handleErr)
	}
	if f.jaeger != "" {
		printTree(ctx, stdout, stderr, f, res.TraceID)
	}
	if handleErr != nil {
		return 1
	}
	return 0
}

// printTree waits for Jaeger to hold the whole trace and prints it. A trace
// that stays incomplete is printed as it is, with a warning.
func printTree(ctx context.Context, stdout, stderr io.Writer, f flags, traceID string) {
	fmt.Fprintf(stdout, "\nwaiting for Jaeger to hold the spans of every service (up to %s)...\n\n", f.jaegerWait)
	hc := &http.Client{Timeout: 5 * time.Second}
	tr, err := agent.WaitTrace(ctx, hc, f.jaeger, traceID, 500*time.Millisecond, f.jaegerWait)
	if err != nil {
		fmt.Fprintf(stderr, "agent: %v\n", err)
	}
	if len(tr.Spans) > 0 {
		agent.WriteTree(stdout, tr)
	}
}
