// Command users runs the blog's users service until SIGINT or SIGTERM.
//
//	users [--registry memory|nats|etcd|consul|mdns] [--registry_address ADDRS] [--address 127.0.0.1:0]
//	     [--identity-jwks URL] [--rate-limit R --rate-burst B]
//
// Telemetry follows the standard OTEL_* variables (OTLP over gRPC to
// 127.0.0.1:4317 by default). With --identity-jwks every request must carry
// the gateway's downstream identity (gateway/guard).
package main

import (
	"os"

	"github.com/tracegate/tracegate/examples/blog/internal/runner"
	"github.com/tracegate/tracegate/examples/blog/users"
)

func main() { os.Exit(runner.Main(users.Name, users.New)) }
