package gateway

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/reason"
)

// checkMessage is what every transport checks of a parsed message before
// the pipeline runs, so that the one reading of it is also the one the
// answer follows:
//   - a JSON-RPC response is refused: the gateway sends no requests, so
//     any response is unsolicited (and must not be recorded as a call);
//   - a request (anything but notifications/…) needs an id that is a
//     string or an integer within ±2^53 in plain form (the MCP SDK carries
//     numeric ids as float64: 1.5, 1E2, -0 or 2^63 would be answered under
//     another id; JSON-RPC 2.0 §4: null is discouraged, MCP forbids it).
func checkMessage(ex *exchange) *verdict {
	m := ex.msg
	if m.IsResponse {
		return refuseWith(reason.InvalidRequest, "a JSON-RPC response is not accepted: the gateway sends no requests")
	}
	if strings.HasPrefix(m.Method, "notifications/") {
		return nil
	}
	switch {
	case m.ID == nil:
		return refuseWith(reason.InvalidRequest, "request "+capString(m.Method, maxToolName)+" needs an id (only notifications/… go without)")
	case !validID(m.ID):
		return refuseWith(reason.InvalidRequest, "the id must be a string or an integer within ±2^53, written plainly")
	}
	return nil
}

// validID: a JSON string, or an integer literal without sign tricks,
// leading zeros, fraction or exponent, within ±2^53.
func validID(id []byte) bool {
	if id[0] == '"' {
		return true
	}
	s := string(id)
	if s == "0" {
		return true
	}
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || digits[0] < '1' || digits[0] > '9' {
		return false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n <= 1<<53 && n >= -(1<<53)
}

// modernMeta checks the per-request _meta of a 2026-07-28 call as the MCP
// SDK does (SEP-2575): the protocol version present and equal to the
// Mcp-Protocol-Version header, the client's capabilities an object, its
// info (when given) an object with a name.
func modernMeta(ex *exchange) *verdict {
	m := ex.msg
	if m.IsResponse || strings.HasPrefix(m.Method, "notifications/") || !knownMethod(m.Method) {
		return nil // an unknown method: the SDK answers 404 -32601 before it looks at _meta
	}
	v, ok := ex.meta[mcp.MetaKeyProtocolVersion].(string)
	switch {
	case !ok || v == "":
		return refuseWith(reason.InvalidParams, "missing or invalid _meta field \""+mcp.MetaKeyProtocolVersion+"\"")
	case v != ex.header.Get("Mcp-Protocol-Version"):
		return refuseWith(reason.HeaderMismatch, "Mcp-Protocol-Version header does not match the request's _meta protocol version")
	}
	if _, ok := ex.meta[mcp.MetaKeyClientCapabilities].(map[string]any); !ok {
		return refuseWith(reason.InvalidParams, "missing or invalid _meta field \""+mcp.MetaKeyClientCapabilities+"\"")
	}
	if ci, present := ex.meta[mcp.MetaKeyClientInfo]; present {
		info, ok := ci.(map[string]any)
		if _, named := info["name"].(string); !ok || !named {
			return refuseWith(reason.InvalidParams, "invalid _meta field \""+mcp.MetaKeyClientInfo+"\"")
		}
	}
	if bytes.Contains(m.Meta, []byte(`"progressToken"`)) {
		switch ex.meta["progressToken"].(type) {
		case string, float64, nil:
		default:
			return refuseWith(reason.InvalidParams, "_meta.progressToken must be a string or a number")
		}
	}
	return nil
}
