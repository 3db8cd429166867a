package audit

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// CheckpointSpanName is the name of the span every checkpoint is published
// as: a root span of its own trace, so the trace backend holds an
// independent copy of the signed chain state (a witness; see [Witness]).
const CheckpointSpanName = "tracegate.audit.checkpoint"

// Attribute keys of a [CheckpointSpanName] span; Jaeger's tag search
// matches them.
const (
	AttrLogID           = "tracegate.audit.log.id"             // the log's random id (segment lines carry it)
	AttrCheckpointSeq   = "tracegate.audit.checkpoint.seq"     // int: seq of the last record covered (= count)
	AttrCheckpointHead  = "tracegate.audit.checkpoint.head"    // hash of that record
	AttrCheckpointHash  = "tracegate.audit.checkpoint.hash"    // the checkpoint line's hash
	AttrCheckpointPrev  = "tracegate.audit.checkpoint.prev"    // the previous checkpoint's hash ("" for the first)
	AttrCheckpointKeyID = "tracegate.audit.checkpoint.key_id"  // Ed25519 key id that signed it
	AttrCheckpointTime  = "tracegate.audit.checkpoint.time"    // its time member (RFC 3339), as signed
	AttrCheckpointSig   = "tracegate.audit.checkpoint.sig"     // its Ed25519 signature (base64)
	AttrCheckpointSeg   = "tracegate.audit.checkpoint.segment" // SHA-256 of the segment line it signs
	AttrMACKeyID        = "tracegate.audit.mac_key.id"         // MAC key id of the records ("" : unkeyed)
	AttrSegmentIndex    = "tracegate.audit.segment.index"      // int: the file's segment index
	AttrSegmentFile     = "tracegate.audit.segment.file"       // the file's base name
	AttrReplicaID       = "tracegate.audit.replica.id"         // FileConfig.ReplicaID (placeholder for several writers)
)

// checkpointScope is the instrumentation scope of checkpoint spans.
const checkpointScope = "github.com/tracegate/tracegate/gateway/audit"

// publisher emits one span per written checkpoint.
type publisher struct {
	tracer  trace.Tracer
	replica string
}

func newPublisher(tp trace.TracerProvider, replica string) *publisher {
	if tp == nil {
		return nil
	}
	if replica == "" {
		replica = DefaultReplicaID
	}
	return &publisher{tracer: tp.Tracer(checkpointScope), replica: replica}
}

// publish records c as a root span that starts and ends at the
// checkpoint's time. Exporting is the provider's business and never fails
// the write.
func (p *publisher) publish(c wireCheckpoint, segment int, file string, at time.Time) {
	if p == nil {
		return
	}
	// A checkpoint span belongs to no request: it is a root by design.
	_, span := p.tracer.Start(context.Background(), CheckpointSpanName, trace.WithNewRoot(),
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithTimestamp(at),
		trace.WithAttributes(
			attribute.String(AttrLogID, c.Log),
			attribute.Int64(AttrCheckpointSeq, int64(c.Count)),
			attribute.String(AttrCheckpointHead, c.Head),
			attribute.String(AttrCheckpointHash, c.Hash),
			attribute.String(AttrCheckpointPrev, c.Prev),
			attribute.String(AttrCheckpointKeyID, c.KeyID),
			attribute.String(AttrCheckpointTime, c.Time),
			attribute.String(AttrCheckpointSig, c.Sig),
			attribute.String(AttrCheckpointSeg, c.Segment),
			attribute.String(AttrMACKeyID, c.MACKey),
			attribute.Int(AttrSegmentIndex, segment),
			attribute.String(AttrSegmentFile, file),
			attribute.String(AttrReplicaID, p.replica),
		))
	span.End(trace.WithTimestamp(at))
}

// CheckpointSampler returns a sampler that records and samples every
// [CheckpointSpanName] span and asks next about every other span. Build
// the tracer provider given to [WithTracerProvider] with it when the
// gateway samples by ratio (OTEL_TRACES_SAMPLER), so a witness never misses
// a checkpoint:
//
//	sdktrace.NewTracerProvider(sdktrace.WithSampler(audit.CheckpointSampler(sampler)), …)
//
// A nil next samples nothing else.
func CheckpointSampler(next sdktrace.Sampler) sdktrace.Sampler {
	if next == nil {
		next = sdktrace.NeverSample()
	}
	return checkpointSampler{next: next}
}

type checkpointSampler struct{ next sdktrace.Sampler }

func (s checkpointSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if p.Name == CheckpointSpanName {
		return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample,
			Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
	}
	return s.next.ShouldSample(p)
}

func (s checkpointSampler) Description() string {
	return "CheckpointSampler{" + s.next.Description() + "}"
}
