package telemetry

import "go.opentelemetry.io/otel/attribute"

// RPC attribute keys. The OTel RPC conventions of the semconv release that
// carries the MCP keys (v1.41.0) name the system rpc.system.name; rpc.system and
// rpc.service are the long-standing keys most trace backends and dashboards
// still search, so both are recorded.
const (
	RPCSystemKey     = attribute.Key("rpc.system")
	RPCSystemNameKey = attribute.Key("rpc.system.name")
	RPCServiceKey    = attribute.Key("rpc.service")
	RPCMethodKey     = attribute.Key("rpc.method")
	RPCStatusCodeKey = attribute.Key("rpc.response.status_code")
	ErrorTypeKey     = attribute.Key("error.type")
	ServerAddressKey = attribute.Key("server.address")
	ServerPortKey    = attribute.Key("server.port")
)

// RPCSystemGoMicro is the rpc.system value for go-micro calls.
const RPCSystemGoMicro = "go-micro"
