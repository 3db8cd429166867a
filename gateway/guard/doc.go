// Package guard is the service side of tracegate's downstream identity: a
// go-micro [server.HandlerWrapper] that accepts a call only when it carries a
// valid, short-lived identity minted by the gateway (see the gateway's
// policy.Minter) that was signed for this very call: the endpoint the
// gateway authorized (the entry hop, once), or an endpoint the gateway
// signed into the identity's downstream list (a forwarded hop, with the
// endpoint's own scopes).
//
// The gateway never forwards the caller's bearer token. Instead it puts a
// compact EdDSA-signed JWT under the metadata key [MetadataKey]; go-micro's
// HTTP transport Title-cases metadata keys, so the key is read
// case-insensitively. go-micro copies a handler's incoming metadata into the
// calls it makes, so the identity travels down the chain by itself. The
// claims are described by [Identity].
//
// Checks, in order (the first failure decides; reasons from gateway/reason):
//
//  1. identity present -> 401 identity_missing ([ErrMissingIdentity])
//  2. genuine: EdDSA signature by the gateway's key, typ [TokenType], no
//     crit header, exp and iat within leeway, exp-iat <= [MaxLifetime],
//     non-empty sub, jti and tool, one aud, iss with [WithIssuer]
//     -> 401 identity_invalid ([ErrInvalidIdentity])
//  3. entry hop: aud is this service ([WithAudience]) and the tool claim is
//     the called endpoint ("service.Endpoint", [WithToolName]). Accepted
//     once per jti ([ReplayStore]); a second presentation -> 401
//     identity_replayed ([ErrReplayed]). The endpoint's declared scopes are
//     NOT checked here: the gateway decided this tool call with its own
//     policy (overrides included, so an override that loosens a tool works
//     end to end) and signed the outcome; its signature over (aud, tool,
//     scope, jti, exp) is the proof, and re-checking against the service's
//     declaration would undo the operator's override. Allowed: granted.
//  4. any other presentation is a forwarded hop. Without
//     [WithForwardedIdentities]: 401 wrong_audience ([ErrWrongAudience],
//     another service's identity) or 403 wrong_tool ([ErrWrongTool]).
//  5. the called endpoint is in the identity's signed downstream list
//     -> else 403 downstream_not_allowed ([ErrDownstreamNotAllowed])
//  6. the identity holds one of the scopes the endpoint itself declares
//     ([WithEndpointScopes], [WithHandlers], [WithServer], [WithRegistry];
//     none declared: any) -> else 403 insufficient_scope
//     ([ErrInsufficientScope])
//  7. presented at this endpoint at most [WithForwardedUses] times (one
//     tool call may call a downstream endpoint several times, not without
//     bound) -> else 401 identity_replayed. Allowed: forwarded.
//  8. per-subject token bucket ([WithRateLimit]) -> 429 rate_limited
//     ([ErrRateLimited])
//
// A replay store that is full refuses with 429 rate_limited and the time
// until its oldest entry expires; one that fails refuses with 503
// internal_error (fail closed).
//
// Replay is bounded per service instance by default: the in-memory
// [MemoryReplayStore] holds each key until its identity expires (exp plus
// leeway), at most [DefaultReplayEntries] keys. Two instances of a service
// each accept an entry-hop identity once unless they share a store
// ([WithReplayStore], e.g. package redisreplay). What bounds the damage of
// an identity that leaks in transit or from a compromised hop: it names one
// entry endpoint, a fixed downstream list, the scopes the caller holds within
// those endpoints' requirements, and lives no longer than the tool's timeout
// (at most 60 s).
//
// Every decision, allowed or not, is passed to [WithDecisionHook] so the
// caller can emit telemetry (the blog services emit it as the span event
// tracegate.guard.decision); guard itself imports no telemetry and, of the
// gateway, only gateway/reason and gateway/policy/ratestore. Handlers read
// the verified identity with [IdentityFrom].
//
//	w := guard.NewHandlerWrapper(
//		guard.WithPublicKey(pub),
//		guard.WithServer(srv),
//		guard.WithForwardedIdentities(),
//		guard.WithRateLimit(5, 10),
//	)
//	srv := server.NewRPCServer(server.WrapHandler(w), ...)
package guard
