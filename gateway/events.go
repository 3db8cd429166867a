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

// emitAdmission records the admission of c on its span: identity attributes,
// then exactly one authz decision event (for tools/call, and for any
// authentication failure) and one rate-limit event when the limiter ran.
func emitAdmission(ctx context.Context, em emitter, c *call) {
	a := c.Admission
	span := trace.SpanFromContext(ctx)
	who := []attribute.KeyValue{}
	if a.Authenticated {
		who = append(who, KeySubject.String(a.Principal.Subject))
		if a.Principal.Client != "" {
			who = append(who, KeyClient.String(a.Principal.Client))
		}
		if a.Principal.IntentID != "" {
			who = append(who, KeyIntentID.String(a.Principal.IntentID))
		}
		span.SetAttributes(who...)
	}
	if c.Info.Method != methodToolsCall && a.AuthErr == nil {
		return
	}
	decision, why := decisionAllow, reason.Reason("")
	attrs := append([]attribute.KeyValue{}, who...)
	if tool := c.Info.Tool; tool != "" {
		attrs = append(attrs, KeyTool.String(tool))
	}
	switch {
	case a.AuthErr != nil:
		decision, why = decisionDeny, denialReason(a.AuthErr)
	case a.Decision != nil:
		why = a.Decision.Reason
		if !a.Decision.Allowed {
			decision = decisionDeny
		}
		attrs = append(attrs,
			KeyAuthzGranted.StringSlice(orEmpty(a.Decision.Granted)),
			KeyAuthzMissing.StringSlice(orEmpty(a.Decision.Missing)),
			KeyAuthzMode.String(string(a.Decision.Mode)))
	default:
		why = reason.UnknownTool // authenticated; the SDK answers the call
	}
	if a.Entry != nil {
		attrs = append(attrs, KeyAuthzRequired.StringSlice(orEmpty(a.Requirement.Scopes)), KeyAuthzSource.String(a.Requirement.Source))
	}
	attrs = append(attrs, KeyAuthzDecision.String(decision), KeyAuthzReason.String(string(why)))
	span.SetAttributes(KeyAuthzDecision.String(decision), KeyAuthzReason.String(string(why)))
	em.EmitSeverity(ctx, severity(decision == decisionAllow), EventAuthzDecision, attrs...)

	if l := a.Limit; l != nil {
		outcome := rateAllowed
		if !l.Allowed {
			outcome = rateLimited
		}
		span.SetAttributes(KeyRateDecision.String(outcome))
		em.EmitSeverity(ctx, severity(l.Allowed), EventRateLimitDecision,
			KeyTool.String(c.Info.Tool),
			KeySubject.String(a.Principal.Subject),
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
