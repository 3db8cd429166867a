package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/internal/wire"
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
//     another id; JSON-RPC 2.0 §4: null is discouraged, MCP forbids it);
//   - a notification must be one the MCP SDK handles ([checkNotification]).
func checkMessage(ex *exchange) *verdict {
	m := ex.msg
	if m.IsResponse {
		return refuseWith(reason.InvalidRequest, "a JSON-RPC response is not accepted: the gateway sends no requests")
	}
	if strings.HasPrefix(m.Method, "notifications/") {
		if m.ID == nil {
			return checkNotification(m)
		}
		return nil // a call: the SDK answers "unexpected id", and that answer is audited
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

// notificationShapes are the notifications a client may send and the params
// the MCP SDK needs to handle them (go-sdk v1.8.0: serverMethodInfos in
// mcp/server.go, which decodes params into the method's Params struct, and
// the canceller in mcp/transport.go, which decodes notifications/cancelled
// before anything else and turns its requestId into an id). A notification
// that fails this is dropped by the SDK before tracegate's middleware, with
// no answer and nothing the transport can see.
var notificationShapes = map[string]struct {
	paramsRequired bool
	members        []memberShape
}{
	methodInitialized: {},
	methodRootsListed: {},
	// The SDK's method table lets cancelled go without params, but its
	// canceller cannot decode absent params and drops the notification.
	methodCancelled: {paramsRequired: true, members: []memberShape{
		{"requestId", shapeID}, {"reason", shapeString}}},
	methodProgress: {paramsRequired: true, members: []memberShape{
		{"progressToken", shapeToken}, {"progress", shapeNumber}, {"total", shapeNumber}, {"message", shapeString}}},
}

// memberShape is what one member of params must be when present (keys are
// exact: the SDK decodes case-sensitively and ignores other members).
type memberShape struct {
	name  string
	shape shape
}

type shape int

const (
	shapeString shape = iota // a string (or null, which the SDK decodes as absent)
	shapeNumber              // a number a float64 holds (or null)
	shapeToken               // a progress token: a string or a number (or null)
	shapeID                  // a request id as validID admits it (not null)
)

func (s shape) String() string {
	return [...]string{"a string", "a number", "a string or a number", "a string or an integer within ±2^53"}[s]
}

// fits tells whether raw (one JSON value, checked by wire.Parse) has shape s.
func (s shape) fits(raw []byte) bool {
	isNull := string(raw) == "null"
	switch s {
	case shapeString:
		return isNull || raw[0] == '"'
	case shapeNumber:
		return isNull || isFloat(raw)
	case shapeToken:
		return isNull || raw[0] == '"' || isFloat(raw)
	}
	return !isNull && validID(raw)
}

// isFloat: a JSON number within float64's range (the SDK refuses 1e400).
func isFloat(raw []byte) bool {
	var f float64
	return (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') && json.Unmarshal(raw, &f) == nil
}

// checkNotification refuses a notification the MCP SDK would drop before
// tracegate's middleware: an unknown method, params that are not an object
// or are missing where required, a member of the wrong type (for
// notifications/cancelled also a requestId the gateway could not have
// admitted as an id, so a cancellation names exactly one request), or a
// _meta with a number a float64 cannot hold. It is refused as an invalid
// request on every transport: no answer on stdio, HTTP 400 with a JSON-RPC
// error without id over HTTP (MCP: a notification the server cannot accept
// gets an HTTP error status), and one deny audit record either way.
func checkNotification(m *wire.Message) *verdict {
	want, known := notificationShapes[m.Method]
	switch {
	case !known:
		return refuseWith(reason.InvalidRequest, fmt.Sprintf("notification %q is not one the server handles", capString(m.Method, maxToolName)))
	case m.Params == nil && want.paramsRequired:
		return refuseWith(reason.InvalidRequest, m.Method+" needs params")
	case m.Params == nil:
		return nil
	case m.Params[0] != '{':
		return refuseWith(reason.InvalidRequest, m.Method+": params must be an object")
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(m.Params, &members); err != nil {
		return refuseWith(reason.InvalidRequest, m.Method+": params cannot be decoded")
	}
	for _, mem := range want.members {
		if raw, ok := members[mem.name]; ok && !mem.shape.fits(raw) {
			return refuseWith(reason.InvalidRequest, fmt.Sprintf("%s: params.%s must be %s", m.Method, mem.name, mem.shape))
		}
	}
	if m.Meta != nil {
		var meta map[string]any
		if err := json.Unmarshal(m.Meta, &meta); err != nil {
			return refuseWith(reason.InvalidRequest, m.Method+": params._meta cannot be decoded")
		}
	}
	return nil
}
