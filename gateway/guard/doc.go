// Package guard is the service side of tracegate's downstream identity: a
// go-micro [server.HandlerWrapper] that accepts a call only when it carries a
// valid, short-lived identity minted by the gateway (see the gateway's
// policy.Minter), addressed to this service, for the endpoint being called,
// with a scope the endpoint declares, and within a per-subject rate limit.
//
// The gateway never forwards the caller's bearer token. Instead it puts a
// compact EdDSA-signed JWT under the metadata key [MetadataKey]; go-micro's
// HTTP transport Title-cases metadata keys, so the key is read
// case-insensitively. The claims are described by [Identity].
//
// Checks, in order (the first failure decides):
//
//  1. identity present                   -> 401 ([ErrMissingIdentity])
//  2. signature (EdDSA only), typ, exp, iat, lifetime <= 60s
//     -> 401 ([ErrInvalidIdentity])
//  3. aud == expected audience (default: the called service name)
//     -> 401 ([ErrWrongAudience])
//  4. tool claim == tool name of the endpoint (default "service.Endpoint")
//     -> 403 ([ErrWrongTool])
//  5. endpoint scopes (from [WithEndpointScopes], [WithHandlers] or the
//     server's registered endpoint metadata via [WithServer]) intersect the
//     identity scopes; endpoints without declared scopes accept any valid
//     identity -> 403 ([ErrInsufficientScope])
//  6. per-subject token bucket ([WithRateLimit]) -> 429 ([ErrRateLimited])
//
// Every decision, allowed or not, is passed to [WithDecisionHook] so the
// caller can emit telemetry; guard itself imports no telemetry and no gateway
// package. Handlers read the verified identity with [IdentityFrom].
//
//	w := guard.NewHandlerWrapper(
//		guard.WithPublicKey(pub),
//		guard.WithServer(srv),
//		guard.WithRateLimit(5, 10),
//	)
//	srv := server.NewRPCServer(server.WrapHandler(w), ...)
package guard
