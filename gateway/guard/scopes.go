package guard

import (
	"strings"
	"sync"
	"time"

	"go-micro.dev/v5/server"
)

const registryCacheTTL = 30 * time.Second

// endpointScopes resolves the scopes an endpoint declares: the explicit map
// first, then the server's registered endpoint metadata.
type endpointScopes struct {
	static map[string][]string
	srv    func() server.Server // nil, or returns nil until the server exists
	now    func() time.Time

	mu      sync.Mutex
	fetched time.Time
	fromReg map[string][]string
}

func (e *endpointScopes) lookup(endpoint string) []string {
	if s, ok := e.static[endpoint]; ok {
		return s
	}
	if e.srv == nil {
		return nil
	}
	srv := e.srv()
	if srv == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if now := e.now(); e.fromReg == nil || now.Sub(e.fetched) > registryCacheTTL {
		if m := fromRegistry(srv); m != nil {
			e.fromReg, e.fetched = m, now
		}
	}
	return e.fromReg[endpoint]
}

func fromRegistry(srv server.Server) map[string][]string {
	opts := srv.Options()
	if opts.Registry == nil {
		return nil
	}
	svcs, err := opts.Registry.GetService(opts.Name)
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
