package audit

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
)

// EventName is the name of the OTel event an [OTelSink] emits.
const EventName = "tracegate.audit"

// Attribute keys of the tracegate.audit event; Jaeger searches them by tag.
const (
	AttrRecordID    = "tracegate.audit.record.id"
	AttrRecordHash  = "tracegate.audit.record.hash"
	AttrRecordSeq   = "tracegate.audit.record.seq"
	AttrKind        = "tracegate.audit.kind"
	AttrDecision    = "tracegate.audit.decision"
	AttrReason      = "tracegate.audit.reason"
	AttrSubject     = "tracegate.audit.subject"
	AttrClient      = "tracegate.audit.client"
	AttrPeer        = "tracegate.audit.peer"
	AttrTool        = "tracegate.audit.tool"
	AttrMethod      = "tracegate.audit.method"
	AttrService     = "tracegate.audit.service"
	AttrIntentID    = "tracegate.audit.intent.id"
	AttrOutcome     = "tracegate.audit.outcome"
	AttrErrorType   = "tracegate.audit.error.type"
	AttrDurationMS  = "tracegate.audit.duration_ms"
	AttrArgsDigest  = "tracegate.audit.args.digest"
	AttrRateLimit   = "tracegate.audit.rate_limit"
	AttrScopesReq   = "tracegate.audit.scopes.required"
	AttrScopesGrant = "tracegate.audit.scopes.granted"
	AttrDropped     = "tracegate.audit.dropped"
	AttrPolicyHash  = "tracegate.audit.policy.hash"
	AttrPolicyPrev  = "tracegate.audit.policy.before"
	AttrChange      = "tracegate.audit.change"
)

// Emitter emits an OTel event (an OTLP log record and a span event on the
// span in ctx). The telemetry package provides it.
type Emitter interface {
	Emit(ctx context.Context, name string, attrs ...attribute.KeyValue)
}

// OTelSink emits every record as a [EventName] event.
type OTelSink struct{ e Emitter }

// NewOTelSink returns a sink emitting through e.
func NewOTelSink(e Emitter) *OTelSink { return &OTelSink{e: e} }

// Write emits r; it never fails.
func (s *OTelSink) Write(ctx context.Context, r Record) error {
	s.e.Emit(ctx, EventName, Attributes(r)...)
	return nil
}

// Attributes returns the event attributes for r; empty values are omitted.
func Attributes(r Record) []attribute.KeyValue {
	a := make([]attribute.KeyValue, 0, 20)
	add := func(k, v string) {
		if v != "" {
			a = append(a, attribute.String(k, v))
		}
	}
	add(AttrRecordID, r.ID())
	add(AttrRecordHash, r.Hash())
	if r.Seq() > 0 {
		a = append(a, attribute.Int64(AttrRecordSeq, int64(r.Seq())))
	}
	add(AttrKind, string(r.Kind()))
	add(AttrDecision, string(r.Decision()))
	add(AttrReason, string(r.Reason()))
	add(AttrSubject, r.Subject())
	add(AttrClient, r.Client())
	add(AttrPeer, r.Peer())
	add(AttrTool, r.Tool())
	add(AttrMethod, r.Method())
	add(AttrService, r.Service())
	add(AttrIntentID, r.IntentID())
	add(AttrOutcome, string(r.Outcome()))
	add(AttrErrorType, r.ErrorType())
	add(AttrArgsDigest, r.ArgsDigest())
	add(AttrPolicyHash, r.PolicyHash())
	add(AttrPolicyPrev, r.PolicyBefore())
	add(AttrChange, r.Change())
	add(AttrRateLimit, r.RateLimit())
	if s := r.w.RequiredScopes; len(s) > 0 {
		a = append(a, attribute.StringSlice(AttrScopesReq, r.RequiredScopes()))
	}
	if s := r.w.GrantedScopes; len(s) > 0 {
		a = append(a, attribute.StringSlice(AttrScopesGrant, r.GrantedScopes()))
	}
	if r.Kind() == KindCall || r.Kind() == KindMethod {
		a = append(a, attribute.Float64(AttrDurationMS, float64(r.w.DurationNS)/1e6))
	}
	if r.Dropped() > 0 {
		a = append(a, attribute.Int64(AttrDropped, int64(r.Dropped())))
	}
	return a
}
