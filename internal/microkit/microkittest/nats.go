package microkittest

import (
	"testing"

	"github.com/nats-io/nats.go"
	"go-micro.dev/v5/registry"
	natsreg "go-micro.dev/v5/registry/nats"

	"github.com/tracegate/tracegate/internal/microkit"
)

// NATSRegistry starts an embedded NATS server on 127.0.0.1 (stopped at
// cleanup) and returns its URL, for other processes, and a registry on it
// for this one: no reconnects (the connection ends with the server; the
// NATS registry has no Close) and Quorum(1) (a lookup returns on the first
// answer instead of waiting the 100 ms query timeout).
func NATSRegistry(t testing.TB) (url string, reg registry.Registry) {
	t.Helper()
	url, stop, err := microkit.StartNATS("", 0)
	if err != nil {
		t.Fatalf("start NATS: %v", err)
	}
	t.Cleanup(stop)
	opts := nats.GetDefaultOptions()
	opts.AllowReconnect = false
	reg, err = microkit.NewRegistry(microkit.RegistryNATS, []string{url}, natsreg.NatsOptions(opts), natsreg.Quorum(1))
	if err != nil {
		t.Fatalf("NATS registry: %v", err)
	}
	return url, reg
}
