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
//     exp/nbf with [WithLeeway] (30s); asymmetric [WithAlgorithms] only; a
//     non-empty sub ([ErrEmptySubject]); no JWS "crit" header
//     ([ErrCriticalHeader], RFC 7515 §4.1.11: the gateway understands no
//     critical extension); optionally a maximum lifetime
//     ([WithMaxLifetime], auth.max_token_lifetime, [ErrTokenLifetime]) and
//     a typ ([WithRequiredType], auth.require_typ, e.g. at+jwt per RFC 9068
//     §2.1, [ErrTokenType]).
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
// A [Minter] signs an EdDSA JWT per dispatch attempt (the gateway mints in
// a go-micro call wrapper, so a retry never reuses one) to put under
// [IdentityMetadataKey]: subject, client, tool (the entry endpoint),
// downstream (the endpoints the call may reach after it), scope, trace id,
// intent, a random jti; aud = the entry service; lifetime min(tool timeout,
// [WithIdentityTTL]) ≤ 60s. [ResolveDownstream] follows the endpoints'
// declared calls (tool.Calls) transitively; [ScopePolicy.IdentityScopes]
// gives the scopes the principal holds within the tool's effective scopes
// and those endpoints' declared scopes — nothing else (wildcard grants
// resolved to what they cover). Services verify the identity with package
// guard: once at the entry endpoint, and at listed endpoints against their
// own declared scopes.
//
// A typical tools/call admission:
//
//	tok, err := policy.BearerToken(r)
//	p, err := verifier.Verify(ctx, tok)
//	req := scopes.Resolve(tool, policy.ParseScopes(endpoint.Metadata["scopes"]))
//	d := scopes.Authorize(p, req)            // d.Err() for the 403 challenge
//	o := limiter.Allow(ctx, p.Subject, tool) // o.AsError() for the 429
//	ds := policy.ResolveDownstream(calls, lookup)
//	id, err := minter.Mint(policy.IdentityRequest{Principal: p, Tool: tool,
//		Audience: service, TraceID: traceID, TTL: timeout,
//		Scopes:     scopes.IdentityScopes(p.Scopes, req, ds),
//		Downstream: policy.DownstreamNames(ds)}) // once per dispatch attempt
package policy
