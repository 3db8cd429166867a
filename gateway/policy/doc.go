// Package policy holds tracegate's least-privilege decisions as pure,
// separately testable functions and small types. The gateway calls them from
// its HTTP admission handler and from MCP middleware, and emits the OTel
// events and audit records from the values they return; policy itself emits
// no telemetry and keeps no globals.
//
// # Authenticate
//
// [BearerToken] takes the token from the Authorization header only (a query
// access_token is [ErrTokenInQuery]). A [Verifier] turns it into a
// [Principal], which never holds the token:
//
//   - [NewJWTVerifier]: JWT access tokens; keys from a cached JWKS
//     ([WithJWKSURL], or discovered from [WithIssuer] by RFC 8414 / OIDC
//     discovery), refetched at most every [WithRefetchInterval] on an
//     unknown kid; iss, aud = resource URI ([WithAudience], RFC 8707),
//     exp/nbf with [WithLeeway] (30s); asymmetric [WithAlgorithms] only.
//   - [NewAuthVerifier]: go-micro auth.Auth.Inspect.
//   - [NewStaticVerifier]: one configured credential, for stdio.
//
// Failures wrap [ErrInvalidToken] plus a kind ([ErrTokenExpired],
// [ErrBadAudience], …). [NewChallenge] maps any policy error to the HTTP
// status and WWW-Authenticate header; [NewProtectedResourceMetadata],
// [MetadataPaths] and [MountMetadata] serve RFC 9728 metadata.
//
// # Authorize
//
// A [ScopePolicy] built from [ScopeConfig] resolves a tool's [Requirement]
// ([ScopePolicy.Resolve]: exact override > most specific glob override >
// service-declared scopes ([ParseScopes] of endpoint metadata "scopes") >
// default) and decides it ([ScopePolicy.Authorize], [ScopePolicy.CanList]).
//
// # Limit
//
// A [Limiter] ([NewMemoryLimiter], GCRA buckets of one int64 each in a
// bounded sharded table, or [NewRedisLimiter], the same GCRA in Redis shared
// by replicas, with [FailOpen] or [FailClosed]) checks per-tool, per-account
// and per-account×tool buckets and returns a [LimitOutcome] naming the
// bucket that refused (with RetryAfter) or the tightest one that allowed.
// [MemoryLimiter.Nearest] lists the callers closest to their limits.
//
// # Downstream identity
//
// A [Minter] signs a ≤60s EdDSA JWT for each dispatched call (subject,
// client, the satisfied scopes, tool, trace id, intent; aud = service) to put
// under [IdentityMetadataKey]; services verify it with package guard.
//
// A typical tools/call admission:
//
//	tok, err := policy.BearerToken(r)
//	p, err := verifier.Verify(ctx, tok)
//	req := scopes.Resolve(tool, policy.ParseScopes(endpoint.Metadata["scopes"]))
//	d := scopes.Authorize(p, req)            // d.Err() for the 403 challenge
//	o := limiter.Allow(ctx, p.Subject, tool) // o.AsError() for the 429
//	id, err := minter.Mint(policy.IdentityRequest{Principal: p, Tool: tool,
//		Audience: service, TraceID: traceID, Scopes: d.Satisfied})
package policy
