package microkit_test

import (
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	natsreg "go-micro.dev/v5/registry/nats"

	"github.com/tracegate/tracegate/internal/microkit"
)

func TestNATSRegistryOnLoopback(t *testing.T) {
	url, stop, err := microkit.StartNATS("", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the servers' cleanups, so it runs after them: the
	// registries' connections (which go-micro never closes) end with it.
	t.Cleanup(stop)
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("url = %q, want loopback", url)
	}

	// Two registries, as two processes would have.
	nopts := nats.GetDefaultOptions()
	nopts.AllowReconnect = false
	serverReg, err := microkit.NewRegistry("nats", []string{url}, natsreg.NatsOptions(nopts))
	if err != nil {
		t.Fatal(err)
	}
	clientReg, err := microkit.NewRegistry("nats", []string{url}, natsreg.NatsOptions(nopts), natsreg.Quorum(1))
	if err != nil {
		t.Fatal(err)
	}
	startEcho(t, serverReg)
	if got := call(t, newClient(t, clientReg), "over nats"); got != "echo: over nats" {
		t.Fatalf("Call = %q", got)
	}
}

func TestStartNATSStopTwice(t *testing.T) {
	_, stop, err := microkit.StartNATS("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	stop()
}
