package telemetry

import (
	"net"
	"strconv"

	"go-micro.dev/v5/errors"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// rpcSpanName is "<service>/<endpoint>", e.g. "posts/Posts.Create".
func rpcSpanName(service, endpoint string) string {
	return service + "/" + endpoint
}

func rpcAttributes(service, endpoint string) []attribute.KeyValue {
	return []attribute.KeyValue{
		RPCSystemKey.String(RPCSystemGoMicro),
		RPCSystemNameKey.String(RPCSystemGoMicro),
		RPCServiceKey.String(service),
		RPCMethodKey.String(endpoint),
	}
}

// addressAttributes splits host:port into server.address and server.port.
func addressAttributes(addr string) []attribute.KeyValue {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if addr == "" {
			return nil
		}
		return []attribute.KeyValue{ServerAddressKey.String(addr)}
	}
	attrs := []attribute.KeyValue{ServerAddressKey.String(host)}
	if p, err := strconv.Atoi(port); err == nil {
		attrs = append(attrs, ServerPortKey.Int(p))
	}
	return attrs
}

// endRPCSpan records err the OTel way: error.type and the go-micro status
// code as attributes, span status Error with the detail. Success leaves the
// status Unset.
func endRPCSpan(span trace.Span, err error) {
	if err != nil {
		merr := errors.FromError(err)
		errType := "_OTHER"
		if merr.Code != 0 {
			errType = strconv.Itoa(int(merr.Code))
			span.SetAttributes(RPCStatusCodeKey.String(errType))
		}
		span.SetAttributes(ErrorTypeKey.String(errType))
		span.SetStatus(codes.Error, merr.Detail)
	}
	span.End()
}
