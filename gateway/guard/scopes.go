package guard

import (
	"strings"
	"sync"
	"time"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
)

const registryCacheTTL = 30 * time.Second

// endpointScopes resolves the scopes an endpoint declares: the explicit map
// first, then the called service's registered endpoint metadata (through
// the registry of WithRegistry, else of the server of WithServer).
type endpointScopes struct {
	static map[string][]string
	reg    registry.Registry
	srv    func() server.Server // nil, or returns nil until the server exists
	now    func() time.Time

	mu      sync.Mutex
	fromReg map[string]registered // by service name
}

type registered struct {
	fetched time.Time
	eps     map[string][]string
}

// configured reports whether any source of declared scopes was given.
func (e *endpointScopes) configured() bool {
	return e.static != nil || e.reg != nil || e.srv != nil
}

// lookup returns the scopes endpoint of service declares and whether the
// endpoint was found in a source.
func (e *endpointScopes) lookup(service, endpoint string) ([]string, bool) {
	if s, ok := e.static[endpoint]; ok {
		return s, true
	}
	reg := e.registry()
	if reg == nil {
		return nil, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cur, ok := e.fromReg[service]
	if now := e.now(); !ok || now.Sub(cur.fetched) > registryCacheTTL {
		if m := fromRegistry(reg, service); m != nil {
			if e.fromReg == nil {
				e.fromReg = map[string]registered{}
			}
			cur = registered{fetched: now, eps: m}
			e.fromReg[service] = cur
		}
	}
	s, found := cur.eps[endpoint]
	return s, found
}

func (e *endpointScopes) registry() registry.Registry {
	if e.reg != nil {
		return e.reg
	}
	if e.srv == nil {
		return nil
	}
	if srv := e.srv(); srv != nil {
		return srv.Options().Registry
	}
	return nil
}

// fromRegistry reads the declared scopes of every endpoint of service, or
// nil when the service cannot be read.
func fromRegistry(reg registry.Registry, service string) map[string][]string {
	svcs, err := reg.GetService(service)
	if err != nil || len(svcs) == 0 {
		return nil
	}
	m := make(map[string][]string)
	for _, svc := range svcs {
		for _, ep := range svc.Endpoints {
			if ep != nil {
				m[ep.Name] = parseScopes(ep.Metadata["scopes"])
			}
		}
	}
	return m
}

// parseScopes splits go-micro's comma-separated "scopes" metadata.
func parseScopes(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// intersect returns the declared scopes present in held.
func intersect(declared, held []string) []string {
	var out []string
	for _, d := range declared {
		for _, h := range held {
			if d == h {
				out = append(out, d)
				break
			}
		}
	}
	return out
}
