package microkit

import (
	"errors"
	"fmt"
	"strings"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/registry/consul"
	"go-micro.dev/v5/registry/etcd"
	natsreg "go-micro.dev/v5/registry/nats"
)

// Registry kinds accepted by [NewRegistry].
const (
	RegistryMemory = "memory"
	RegistryNATS   = "nats"
	RegistryEtcd   = "etcd"
	RegistryConsul = "consul"
	RegistryMDNS   = "mdns"
)

// ErrUnknownRegistry is returned by [NewRegistry] for a kind it does not know.
var ErrUnknownRegistry = errors.New("microkit: unknown registry kind")

// RegistryKinds lists the kinds [NewRegistry] accepts, the default first.
func RegistryKinds() []string {
	return []string{RegistryMemory, RegistryNATS, RegistryEtcd, RegistryConsul, RegistryMDNS}
}

// NewRegistry returns a registry of the given kind ("" means memory) reaching
// addrs (ignored by memory and mdns). Extra go-micro registry options are
// passed through, e.g. natsreg.Quorum(1): without it every NATS lookup waits
// the whole query timeout (100 ms) for answers, and a lookup of a missing
// service always does. The memory registry is private to the process and
// starts a TTL-pruning goroutine that go-micro never stops.
func NewRegistry(kind string, addrs []string, opts ...registry.Option) (registry.Registry, error) {
	addrs = cleanAddrs(addrs)
	if len(addrs) > 0 {
		opts = append([]registry.Option{registry.Addrs(addrs...)}, opts...)
	}
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "", RegistryMemory:
		return registry.NewMemoryRegistry(opts...), nil
	case RegistryNATS:
		return natsreg.NewNatsRegistry(opts...), nil
	case RegistryEtcd:
		return etcd.NewEtcdRegistry(opts...), nil
	case RegistryConsul:
		return consul.NewConsulRegistry(opts...), nil
	case RegistryMDNS:
		return registry.NewMDNSRegistry(opts...), nil
	default:
		return nil, fmt.Errorf("%w %q (want one of %s)", ErrUnknownRegistry, kind, strings.Join(RegistryKinds(), ", "))
	}
}

// ParseAddrs splits a comma-separated address list such as
// MICRO_REGISTRY_ADDRESS, trimming spaces and dropping empty entries.
func ParseAddrs(s string) []string {
	return cleanAddrs(strings.Split(s, ","))
}

func cleanAddrs(addrs []string) []string {
	var out []string
	for _, a := range addrs {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}
