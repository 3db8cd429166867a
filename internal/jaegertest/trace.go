package jaegertest

import "github.com/tracegate/tracegate/internal/jaegerapi"

// The query API's model, from [jaegerapi]; see its methods there
// ([jaegerapi.Trace.SpanBy], [jaegerapi.Span.Events], …).
type (
	Trace     = jaegerapi.Trace
	Span      = jaegerapi.Span
	Reference = jaegerapi.Reference
	KeyValue  = jaegerapi.KeyValue
	Log       = jaegerapi.Log
	Process   = jaegerapi.Process
	Event     = jaegerapi.Event
)

// Span kinds as Jaeger reports them in the span.kind tag.
const (
	KindServer   = jaegerapi.KindServer
	KindClient   = jaegerapi.KindClient
	KindInternal = jaegerapi.KindInternal
	KindProducer = jaegerapi.KindProducer
	KindConsumer = jaegerapi.KindConsumer
)

// RefChildOf is the reference type of a span's parent.
const RefChildOf = jaegerapi.RefChildOf

// NormalizeID left-pads a hex trace id to 32 digits: the v1 API prints a
// trace id whose high 64 bits are zero with 16 digits only.
func NormalizeID(id string) string { return jaegerapi.NormalizeID(id) }
