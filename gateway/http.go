package gateway

import (
	"io"
	"net/http"
	"sort"

	"github.com/tracegate/tracegate/gateway/policy"
)

// Paths served by [Gateway.Handler].
const (
	MCPPath          = "/mcp"
	IdentityJWKSPath = "/.well-known/tracegate/jwks.json"
	HealthPath       = "/healthz"
	ReadyPath        = "/readyz"
)

// Handler returns the gateway's HTTP handler: MCP at /mcp (both protocol
// eras), the RFC 9728 protected resource metadata, the JWKS of downstream
// identities, a liveness probe (/healthz), a readiness probe (/readyz) and,
// when enabled, the operator console at /console with its own resource
// metadata.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(MCPPath, g.front)
	meta := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		policy.MetadataHandler(g.resourceMetadata(r)).ServeHTTP(w, r)
	})
	mux.Handle(policy.WellKnownProtectedResource, meta)
	mux.Handle(policy.WellKnownProtectedResource+MCPPath, meta)
	mux.Handle("GET "+IdentityJWKSPath, g.minter.JWKSHandler())
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET "+ReadyPath, g.serveReady)
	g.mountConsole(mux)
	return mux
}

// resource is the gateway's resource URI: configured, else derived from the
// request.
func (g *Gateway) resource(r *http.Request) string {
	if res := g.opts.Config.Auth.Resource; res != "" {
		return res
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + MCPPath
}

// resourceMetadata builds the RFC 9728 document: the authorization servers
// and, as scopes_supported, the baseline scope set a client should ask for
// first (Config.Auth.BaselineScopes) — not every scope a tool requires, so
// a client following the MCP authorization rules does not ask for admin
// scopes it will be refused; it gets more by the 403 step-up of the tool
// that needs it. Without a baseline, every scope a current tool requires.
func (g *Gateway) resourceMetadata(r *http.Request) *policy.ProtectedResourceMetadata {
	a := g.opts.Config.Auth
	servers := a.AuthorizationServers
	if len(servers) == 0 && a.Issuer != "" {
		servers = []string{a.Issuer}
	}
	scopes := a.BaselineScopes
	if len(scopes) == 0 {
		seen := map[string]bool{}
		pol := g.policies.load()
		for _, e := range g.catalog.entries() {
			for _, s := range pol.scopes.Resolve(e.Canonical, e.Scopes).Scopes {
				if !seen[s] {
					seen[s] = true
					scopes = append(scopes, s)
				}
			}
		}
		sort.Strings(scopes)
	}
	return policy.NewProtectedResourceMetadata(g.resource(r), servers, scopes)
}

// serveReady is the readiness probe: 503 with the reason while the gateway
// cannot serve calls as configured (the audit log cannot be written, so
// strict-mode calls are refused), 200 otherwise. /healthz stays a liveness
// probe: the process is up.
func (g *Gateway) serveReady(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Cache-Control", "no-store")
	if g.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready: draining\n")
		return
	}
	if err := g.recorder.Ready(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready: "+err.Error()+"\n")
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}
