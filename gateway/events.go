package gateway

import (
	"context"

	"github.com/tracegate/tracegate/gateway/reason"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"
)

// Event names and attribute keys (tracegate.* namespace). Every event carries
// searchable attributes: Jaeger's tag search matches span-log fields.
const (
	EventAuthzDecision     = "tracegate.authz.decision"
	EventRateLimitDecision = "tracegate.ratelimit.decision"

	KeyAuthzDecision    = attribute.Key("tracegate.authz.decision")
	KeyAuthzReason      = attribute.Key("tracegate.authz.reason")
	KeyAuthzRequired    = attribute.Key("tracegate.authz.required")
	KeyAuthzGranted     = attribute.Key("tracegate.authz.granted")
	KeyAuthzMissing     = attribute.Key("tracegate.authz.missing")
	KeyAuthzSource      = attribute.Key("tracegate.authz.source")
	KeyAuthzMode        = attribute.Key("tracegate.authz.mode")
	KeyTool             = attribute.Key("tracegate.tool")
	KeySubject          = attribute.Key("tracegate.subject")
	KeyClient           = attribute.Key("tracegate.client")
	KeyIntentID         = attribute.Key("tracegate.intent.id")
	KeyRateDecision     = attribute.Key("tracegate.ratelimit.decision")
	KeyRateKind         = attribute.Key("tracegate.ratelimit.kind")
	KeyRateLimit        = attribute.Key("tracegate.ratelimit.limit")
	KeyRateBurst        = attribute.Key("tracegate.ratelimit.burst")
	KeyRateRetryAfterMs = attribute.Key("tracegate.ratelimit.retry_after_ms")
)

// Decision values.
const (
	decisionAllow = "allow"
	decisionDeny  = "deny"
	rateAllowed   = "allowed"
	rateLimited   = "limited"
)

// emitter is where events go (telemetry.Emitter in production).
type emitter interface {
	EmitSeverity(ctx context.Context, sev log.Severity, name string, attrs ...attribute.KeyValue)
}

// emitDecision records the decision on ex's span: identity attributes, then
// exactly one decision event for a tools/call or any refusal (its reason is
// the verdict's, as in the JSON-RPC error and the audit record), and one
// rate-limit event when the limiter ran.
func emitDecision(ctx context.Context, em emitter, ex *exchange) {
	span := trace.SpanFromContext(ctx)
	who := make([]attribute.KeyValue, 0, 12)
	if ex.authenticated {
		who = append(who, KeySubject.String(ex.principal.Subject))
		if ex.principal.Client != "" {
			who = append(who, KeyClient.String(ex.principal.Client))
		}
		if ex.principal.IntentID != "" {
			who = append(who, KeyIntentID.String(ex.principal.IntentID))
		}
		span.SetAttributes(who...)
	}
	if ex.method != methodToolsCall && ex.verdict == nil {
		return
	}
	decision, why := decisionAllow, reason.Reason("")
	attrs := who
	tool := ex.tool
	if ex.entry != nil {
		tool = ex.entry.Canonical // events, like audit records, name the canonical tool
	}
	if tool != "" {
		attrs = append(attrs, KeyTool.String(tool))
	}
	if d := ex.decision; d != nil {
		why = d.Reason
		attrs = append(attrs,
			KeyAuthzGranted.StringSlice(orEmpty(d.Granted)),
			KeyAuthzMissing.StringSlice(orEmpty(d.Missing)),
			KeyAuthzMode.String(string(d.Mode)))
	}
	if v := ex.verdict; v != nil {
		decision, why = decisionDeny, v.reason
	}
	if ex.entry != nil {
		attrs = append(attrs, KeyAuthzRequired.StringSlice(orEmpty(ex.requirement.Scopes)), KeyAuthzSource.String(ex.requirement.Source))
	}
	attrs = append(attrs, KeyAuthzDecision.String(decision), KeyAuthzReason.String(string(why)))
	if ex.policy != nil {
		attrs = append(attrs, KeyPolicyHash.String(ex.policy.hash))
	}
	span.SetAttributes(KeyAuthzDecision.String(decision), KeyAuthzReason.String(string(why)))
	em.EmitSeverity(ctx, severity(decision == decisionAllow), EventAuthzDecision, attrs...)

	if l := ex.limit; l != nil {
		outcome := rateAllowed
		if !l.Allowed {
			outcome = rateLimited
		}
		span.SetAttributes(KeyRateDecision.String(outcome))
		em.EmitSeverity(ctx, severity(l.Allowed), EventRateLimitDecision,
			KeyTool.String(tool),
			KeySubject.String(ex.principal.Subject),
			KeyRateDecision.String(outcome),
			KeyRateKind.String(string(l.Kind)),
			KeyRateLimit.Float64(l.Limit),
			KeyRateBurst.Int(l.Burst),
			KeyRateRetryAfterMs.Int64(retryMillis(l.RetryAfter)))
	}
}

func severity(ok bool) log.Severity {
	if ok {
		return log.SeverityInfo
	}
	return log.SeverityWarn
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
