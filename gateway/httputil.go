package gateway

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// rpcPeek is the part of a JSON-RPC request the HTTP front reads.
type rpcPeek struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Name            string          `json:"name"`
		Arguments       json.RawMessage `json:"arguments"`
		Meta            map[string]any  `json:"_meta"`
		ProtocolVersion string          `json:"protocolVersion"`
	} `json:"params"`
}

// peek decodes a single JSON-RPC request; anything else (a batch, a
// response, garbage) yields the zero value and is left to the SDK to answer.
func peek(body []byte) rpcPeek {
	var m rpcPeek
	if err := json.Unmarshal(body, &m); err != nil {
		return rpcPeek{}
	}
	return m
}

// originAllowed implements DNS-rebinding protection for browsers: a request
// with an Origin header must come from a configured origin or, on loopback,
// from the gateway's own origin. Requests without Origin (non-browser
// clients) pass; the SDK also refuses non-loopback Host headers on loopback.
func (g *Gateway) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if slices.Contains(g.opts.Config.AllowedOrigins, origin) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host) && isLoopbackHost(r.Host)
}

func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// writeRPCError writes a JSON-RPC error response with an HTTP status. id
// may be nil (unknown request id).
func writeRPCError(w http.ResponseWriter, status int, id json.RawMessage, e *jsonrpc.Error) {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	body, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   *jsonrpc.Error  `json:"error"`
	}{"2.0", id, e})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
