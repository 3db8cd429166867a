package audit

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Every checkpoint is published as a root span of its own, recorded even
// though the provider samples nothing else, and its attributes rebuild a
// checkpoint whose signature verifies.
func TestCheckpointSpansWitnessTheLog(t *testing.T) {
	l := newTestLog(t)
	l.cfg.File.ReplicaID = "gw-1"
	l.write(10, "close")
	_, span := l.wit.TP.Tracer("t").Start(context.Background(), "tools/call x")
	if span.SpanContext().IsSampled() {
		t.Fatal("the provider samples ordinary spans; the test proves nothing")
	}
	span.End()
	cps := l.wit.checkpoints(t)
	if len(cps) != 4 {
		t.Fatalf("%d checkpoint spans, want 4 (at 4, 8, 12, 15)", len(cps))
	}
	rep, _, _ := l.verify(l.keyed())
	prev := ""
	for i, c := range cps {
		if c.Seq != []uint64{4, 8, 12, 15}[i] || c.Prev != prev || c.Log != rep.Log || c.MACKey != MACKeyID(testMACKey) ||
			c.Segment != 0 || c.File != "audit.jsonl" || c.Replica != "gw-1" {
			t.Fatalf("checkpoint span %d: %+v", i, c)
		}
		if err := checkCheckpoint(c.checkpoint(), l.pub); err != nil {
			t.Fatalf("checkpoint span %d does not verify: %v", i, err)
		}
		prev = c.Hash
	}
	if prev != rep.LastCheckpoint || cps[3].Head != rep.Head {
		t.Fatalf("last span %+v, file %s / %s", cps[3], rep.LastCheckpoint, rep.Head)
	}
	stubs := l.wit.spans.GetSpans()
	for _, s := range stubs {
		if s.Name == CheckpointSpanName && (s.Parent.IsValid() || s.SpanKind != trace.SpanKindInternal) {
			t.Fatalf("checkpoint span %v has a parent or kind %v", s.Parent, s.SpanKind)
		}
	}
}

func TestCheckpointSampler(t *testing.T) {
	for _, tc := range []struct {
		next     sdktrace.Sampler
		name     string
		parent   trace.SpanContext
		decision sdktrace.SamplingDecision
	}{
		{sdktrace.NeverSample(), CheckpointSpanName, trace.SpanContext{}, sdktrace.RecordAndSample},
		{nil, CheckpointSpanName, trace.SpanContext{}, sdktrace.RecordAndSample},
		{sdktrace.TraceIDRatioBased(0), "tools/call x", trace.SpanContext{}, sdktrace.Drop},
		{sdktrace.AlwaysSample(), "tools/call x", trace.SpanContext{}, sdktrace.RecordAndSample},
		{nil, "tools/call x", trace.SpanContext{}, sdktrace.Drop},
	} {
		s := CheckpointSampler(tc.next)
		got := s.ShouldSample(sdktrace.SamplingParameters{ParentContext: trace.ContextWithSpanContext(context.Background(), tc.parent),
			TraceID: trace.TraceID{1}, Name: tc.name})
		if got.Decision != tc.decision {
			t.Errorf("%s under %v: %v, want %v", tc.name, tc.next, got.Decision, tc.decision)
		}
	}
}

func TestCheckpointFromAttributesRefusesIncompleteSpans(t *testing.T) {
	attrs := map[string]string{AttrLogID: "l", AttrCheckpointSeq: "x"}
	get := func(k string) (string, bool) { v, ok := attrs[k]; return v, ok }
	if _, err := CheckpointFromAttributes(get); err == nil {
		t.Fatal("incomplete span accepted")
	}
	for _, k := range []string{AttrCheckpointHead, AttrCheckpointHash, AttrCheckpointTime, AttrCheckpointKeyID,
		AttrCheckpointSig, AttrSegmentIndex, AttrSegmentFile} {
		attrs[k] = "1"
	}
	if _, err := CheckpointFromAttributes(get); err == nil {
		t.Fatal("non-numeric seq accepted")
	}
	attrs[AttrCheckpointSeq] = "7"
	if c, err := CheckpointFromAttributes(get); err != nil || c.Seq != 7 || c.Segment != 1 {
		t.Fatalf("%+v %v", c, err)
	}
}
