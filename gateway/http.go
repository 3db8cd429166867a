package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/policy"
)

// statelessEra is the first protocol version served by the stateless
// handler: requests with Mcp-Protocol-Version at or after it go there, all
// others (initialize carries no version header) to the stateful one.
const statelessEra = "2026-07-28"

// Paths served by [Gateway.Handler].
const (
	MCPPath          = "/mcp"
	IdentityJWKSPath = "/.well-known/tracegate/jwks.json"
	HealthPath       = "/healthz"
)

// Handler returns the gateway's HTTP handler: MCP at /mcp (both protocol
// eras), the RFC 9728 protected resource metadata, the JWKS of downstream
// identities, and a liveness probe.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(MCPPath, g.mcpHandler())
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
// and every scope a current tool requires.
func (g *Gateway) resourceMetadata(r *http.Request) *policy.ProtectedResourceMetadata {
	a := g.opts.Config.Auth
	servers := a.AuthorizationServers
	if len(servers) == 0 && a.Issuer != "" {
		servers = []string{a.Issuer}
	}
	seen := map[string]bool{}
	var scopes []string
	for _, e := range g.catalog.entries() {
		for _, s := range g.admitter.scopes.Resolve(e.Canonical, e.Scopes).Scopes {
			if !seen[s] {
				seen[s] = true
				scopes = append(scopes, s)
			}
		}
	}
	sort.Strings(scopes)
	return policy.NewProtectedResourceMetadata(g.resource(r), servers, scopes)
}

// mcpHandler is the HTTP front of the pipeline: origin check, body limit,
// JSON-RPC peek, admission (so that a denial is a real 401/403/429 with its
// challenge), then the era router.
func (g *Gateway) mcpHandler() http.Handler {
	getServer := func(*http.Request) *mcp.Server { return g.server }
	limit := g.opts.Config.MaxBodyBytes
	stateful := mcp.NewStreamableHTTPHandler(getServer, &mcp.StreamableHTTPOptions{MaxRequestBodyBytes: limit})
	stateless := mcp.NewStreamableHTTPHandler(getServer, &mcp.StreamableHTTPOptions{
		Stateless:                    true,
		MaxRequestBodyBytes:          limit,
		PropagateRequestCancellation: true,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(internalRequestIDHeader)
		r.Header.Del(internalAdmissionHeader)
		if !g.originAllowed(r) {
			writeRPCError(w, http.StatusForbidden, nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "origin not allowed"})
			return
		}
		var msg rpcPeek
		if r.Method == http.MethodPost {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					writeRPCError(w, http.StatusRequestEntityTooLarge, nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest,
						Message: fmt.Sprintf("request body exceeds %d bytes", limit)})
					return
				}
				writeRPCError(w, http.StatusBadRequest, nil, &jsonrpc.Error{Code: jsonrpc.CodeParseError, Message: "cannot read request body"})
				return
			}
			msg = peek(body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		info := httpRequestInfo(r, msg)
		if info.RequestID != "" {
			r.Header.Set(internalRequestIDHeader, info.RequestID)
		}
		token, tokenErr := policy.BearerToken(r)
		a := g.admitter.admit(r.Context(), info, token, tokenErr)
		if a.err() != nil {
			g.refuseHTTP(w, r, info, a, msg.ID)
			return
		}
		key, release := g.admissions.put(a)
		defer release()
		r.Header.Set(internalAdmissionHeader, key)
		if v := r.Header.Get("Mcp-Protocol-Version"); v >= statelessEra {
			stateless.ServeHTTP(w, r)
			return
		}
		stateful.ServeHTTP(w, r)
	})
}

// refuseHTTP answers a refused admission: the request still gets its span,
// decision events and audit record, then a 401/403/429 with the challenge
// and a JSON-RPC error carrying the request's id (a plain-text 403 makes
// the go-sdk client drop its session).
func (g *Gateway) refuseHTTP(w http.ResponseWriter, r *http.Request, info requestInfo, a admission, id []byte) {
	rpcErr := rpcDenial(a)
	if info.Method != "" {
		ctx, c := g.tracing.begin(r.Context(), info)
		c.Admission, c.Entry = a, a.Entry
		emitAdmission(ctx, g.emitter, c)
		g.recordOnce(ctx, c, nil, rpcErr)
		g.tracing.finish(ctx, c, nil, rpcErr)
	}
	ch := challengeFor(a, policy.MetadataURL(g.resource(r)))
	ch.Apply(w.Header())
	writeRPCError(w, ch.Status, id, rpcErr)
}

// httpRequestInfo is readRequest's counterpart for the HTTP front.
func httpRequestInfo(r *http.Request, msg rpcPeek) requestInfo {
	info := requestInfo{
		Method:    msg.Method,
		Tool:      msg.Params.Name,
		Arguments: msg.Params.Arguments,
		Meta:      msg.Params.Meta,
		Header:    r.Header,
		Transport: transportHTTP,
		SessionID: r.Header.Get("Mcp-Session-Id"),
		RequestID: idText(msg.ID),
	}
	info.ProtocolVersion = r.Header.Get("Mcp-Protocol-Version")
	if v, ok := msg.Params.Meta[mcp.MetaKeyProtocolVersion].(string); ok {
		info.ProtocolVersion = v
	}
	if info.ProtocolVersion == "" {
		info.ProtocolVersion = msg.Params.ProtocolVersion
	}
	return info
}

// idText renders a JSON-RPC id as text: 7 or abc; "" for none or null.
func idText(id []byte) string {
	s := string(id)
	if s == "" || s == "null" {
		return ""
	}
	return strings.Trim(s, `"`)
}
