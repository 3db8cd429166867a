package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/audit/search"
)

// auditCmd runs `tracegate audit verify|search`.
func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const usage = "usage: tracegate audit verify|search [flags] (tracegate audit verify -h, tracegate audit search -h)"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	if isHelp(args[0]) {
		fmt.Fprintln(stdout, usage)
		return 0
	}
	switch args[0] {
	case "verify":
		fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
		fs.SetOutput(stderr)
		var o audit.VerifyOptions
		o.RegisterFlags(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return parseExit(err)
		}
		if fs.NArg() == 0 {
			fmt.Fprintln(stderr, "usage: tracegate audit verify [--key pub.pem] [--mac-key mac.key] [--expect-head HASH] "+
				"[--min-records N] [--witness JAEGER_URL] [--allow-unsigned-tail] [--json] FILE...")
			return 2
		}
		if o.WitnessURL != "" {
			o.Witness = search.Witness{URL: o.WitnessURL, Service: o.WitnessService, Since: o.WitnessSince}
		}
		return audit.RunVerifyContext(ctx, stdout, o, fs.Args())
	case "search":
		fs := flag.NewFlagSet("audit search", flag.ContinueOnError)
		fs.SetOutput(stderr)
		var o search.Options
		o.RegisterFlags(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return parseExit(err)
		}
		if err := search.Run(ctx, stdout, o); err != nil {
			fmt.Fprintf(stderr, "tracegate audit search: %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "tracegate audit: unknown command %q (verify, search)\n", args[0])
	return 2
}
