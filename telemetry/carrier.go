package telemetry

import (
	"context"
	"strings"

	"go-micro.dev/v5/metadata"
	"go.opentelemetry.io/otel/propagation"
)

// maxCarrierValue caps a propagation value read from metadata. A W3C
// traceparent is 55 bytes and the spec bounds tracestate at 512 and baggage at
// 8192; anything longer is ignored rather than parsed.
const maxCarrierValue = 8192

// MetadataCarrier adapts go-micro metadata to a TextMapCarrier. Get is
// case-insensitive (go-micro's HTTP transport Title-cases keys on the way);
// Set removes every case variant of the key and writes exactly one lowercase
// key, so a message never carries two competing parents.
type MetadataCarrier metadata.Metadata

var _ propagation.TextMapCarrier = MetadataCarrier{}

// Get returns the value of key in any letter case.
func (c MetadataCarrier) Get(key string) string {
	if v, ok := c[key]; ok {
		return capValue(v)
	}
	for k, v := range c {
		if strings.EqualFold(k, key) {
			return capValue(v)
		}
	}
	return ""
}

// Set stores value under the lowercase key, dropping other case variants.
func (c MetadataCarrier) Set(key, value string) {
	lower := strings.ToLower(key)
	for k := range c {
		if k != lower && strings.EqualFold(k, key) {
			delete(c, k)
		}
	}
	c[lower] = value
}

// Keys lists the metadata keys.
func (c MetadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

func capValue(v string) string {
	if len(v) > maxCarrierValue {
		return ""
	}
	return v
}

// Inject writes ctx's trace context into a copy of the metadata in ctx (keys
// of prop's fields, lowercase, one each) and returns a context carrying it.
// Stale propagation keys of any case are removed first, so the outgoing call
// never carries the caller's older parent beside the new one.
func Inject(ctx context.Context, prop propagation.TextMapPropagator) context.Context {
	md, ok := metadata.FromContext(ctx)
	if !ok {
		md = metadata.Metadata{}
	}
	c := MetadataCarrier(md)
	for _, f := range prop.Fields() {
		for k := range c {
			if strings.EqualFold(k, f) {
				delete(c, k)
			}
		}
	}
	prop.Inject(ctx, c)
	return metadata.NewContext(ctx, metadata.Metadata(c))
}

// Extract reads a trace context and baggage from the metadata in ctx, in any
// key case. Invalid or oversized values are ignored: the result then has no
// remote parent and a new span starts a new trace.
func Extract(ctx context.Context, prop propagation.TextMapPropagator) context.Context {
	md, ok := metadata.FromContext(ctx)
	if !ok {
		return ctx
	}
	return prop.Extract(ctx, MetadataCarrier(md))
}
