package runner

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"go-micro.dev/v5/registry"

	"github.com/tracegate/tracegate/internal/microkit"
)

// Flags are the command-line settings of a blog binary.
type Flags struct {
	// IdentityJWKS is the gateway's downstream-identity JWKS; when set,
	// every request must carry a valid identity (gateway/guard).
	IdentityJWKS string
	// RateLimit and RateBurst bound each caller (identity subject) at the
	// service layer; 0 disables.
	RateLimit float64
	RateBurst int
	// Registry kind: memory, nats, etcd, consul or mdns.
	Registry string
	// RegistryAddress is a comma-separated list of registry addresses.
	RegistryAddress string
	// Address is the server's listen address.
	Address string
}

// ParseFlags parses args. Defaults come from MICRO_REGISTRY,
// MICRO_REGISTRY_ADDRESS and MICRO_SERVER_ADDRESS (read through getenv), then
// memory, none and 127.0.0.1:0.
func ParseFlags(name string, args []string, getenv func(string) string, usage io.Writer) (Flags, error) {
	def := func(key, fallback string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return fallback
	}
	var f Flags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&f.Registry, "registry", def("MICRO_REGISTRY", microkit.RegistryMemory),
		"registry: "+strings.Join(microkit.RegistryKinds(), "|")+" (env MICRO_REGISTRY); memory is visible to this process only")
	fs.StringVar(&f.RegistryAddress, "registry_address", def("MICRO_REGISTRY_ADDRESS", ""),
		"comma-separated registry addresses, e.g. nats://127.0.0.1:4222 (env MICRO_REGISTRY_ADDRESS)")
	fs.StringVar(&f.Address, "address", def("MICRO_SERVER_ADDRESS", microkit.DefaultAddress),
		"listen address (env MICRO_SERVER_ADDRESS)")
	fs.StringVar(&f.IdentityJWKS, "identity-jwks", def("TRACEGATE_IDENTITY_JWKS", ""),
		"gateway identity JWKS URL, e.g. http://127.0.0.1:8080/.well-known/tracegate/jwks.json; requests without a valid identity are refused (env TRACEGATE_IDENTITY_JWKS)")
	fs.Float64Var(&f.RateLimit, "rate-limit", 0, "requests per second per caller at the service layer, 0 = off")
	fs.IntVar(&f.RateBurst, "rate-burst", 10, "burst of --rate-limit")
	if err := fs.Parse(args); err != nil {
		return Flags{}, fmt.Errorf("%s: %w", name, err)
	}
	if fs.NArg() > 0 {
		return Flags{}, fmt.Errorf("%s: unexpected arguments %q", name, fs.Args())
	}
	return f, nil
}

// NewRegistry builds the registry the flags name.
func (f Flags) NewRegistry() (registry.Registry, error) {
	return microkit.NewRegistry(f.Registry, microkit.ParseAddrs(f.RegistryAddress))
}
