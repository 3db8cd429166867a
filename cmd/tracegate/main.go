// Command tracegate is the OpenTelemetry-first MCP gateway for go-micro.
//
//	tracegate serve [flags]            serve MCP over HTTP (or --stdio)
//	tracegate audit verify [flags] F…  check an audit log's hash chain and signatures
//	tracegate audit search [flags]     list audit records from Jaeger (trace logs)
//	tracegate keygen --out FILE        write an Ed25519 key pair (audit signing, identities)
//	tracegate healthcheck [--url U]    exit 0 when a gateway answers (container healthchecks)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: tracegate <command> [flags]

commands:
  serve          serve MCP over HTTP (or --stdio) in front of a go-micro registry
  audit verify   verify audit log files: tracegate audit verify [--key pub.pem] audit.jsonl
  audit search   list audit records from Jaeger: tracegate audit search --decision deny
  keygen         write an Ed25519 key pair: tracegate keygen --out key.pem
  healthcheck    exit 0 when the gateway at --url answers /healthz

Run 'tracegate <command> -h' for the flags of a command.
`

// parseExit is the exit status for a flag parse error: 0 when help was
// asked for (-h, -help, --help: the usage is already printed), 2 otherwise.
func parseExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// run dispatches a command line and returns the exit status.
func run(ctx context.Context, args []string, stdin io.ReadCloser, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdin, stdout, stderr)
	case "audit":
		return auditCmd(ctx, args[1:], stdout, stderr)
	case "keygen":
		return keygen(args[1:], stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args[1:], stderr)
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "tracegate: unknown command %q\n\n%s", args[0], usage)
	return 2
}
