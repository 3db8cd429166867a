package reason

// Reason names why a request was allowed or refused. The same word is the
// decision event's tracegate.authz.reason, the JSON-RPC error's data.reason,
// the audit record's reason and the guard's decision reason, so a search by
// reason gives the same answer in Jaeger and in the audit trail.
type Reason string

// Reasons for an allowed request.
const (
	// Granted: the principal holds the scopes the tool requires.
	Granted Reason = "granted"
	// Authenticated: the tool requires no scope; any authenticated principal
	// may call it (policy unscoped: authenticated).
	Authenticated Reason = "authenticated"
	// Anonymous: the gateway runs without authentication (development only).
	Anonymous Reason = "anonymous"
	// Forwarded: a guarded service accepted an identity on a downstream hop
	// the gateway signed into it.
	Forwarded Reason = "forwarded"
)

// Reasons for a refusal by policy (authentication, authorization, limits).
const (
	// Unauthenticated: no bearer token, or one that does not verify (RFC 6750 §3.1).
	Unauthenticated Reason = "unauthenticated"
	// InsufficientScope: the token lacks a scope the tool requires (RFC 6750 §3.1).
	InsufficientScope Reason = "insufficient_scope"
	// UnscopedDenied: the tool declares no scopes and the policy denies unscoped tools.
	UnscopedDenied Reason = "unscoped_denied"
	// RateLimited: a token bucket is empty; the answer carries a retry-after.
	RateLimited Reason = "rate_limited"
	// LimiterUnavailable: the shared limiter backend failed and the gateway fails closed.
	LimiterUnavailable Reason = "limiter_unavailable"
	// SessionStoreUnavailable: the session store the replicas share failed
	// and the gateway fails closed.
	SessionStoreUnavailable Reason = "session_store_unavailable"
	// SessionLimit: a per-subject or global cap on open sessions is reached.
	SessionLimit Reason = "session_limit"
	// Overloaded: the bytes of request bodies in flight are over their cap.
	Overloaded Reason = "overloaded"
)

// Reasons for a refusal of the request itself (protocol faults).
const (
	// ParseError: not JSON, invalid UTF-8, trailing data (JSON-RPC -32700).
	ParseError Reason = "parse_error"
	// InvalidRequest: not a single JSON-RPC request: a batch, a duplicate or
	// case-variant member, a wrong member type (JSON-RPC -32600).
	InvalidRequest Reason = "invalid_request"
	// NestingTooDeep: the body nests deeper than the configured limit.
	NestingTooDeep Reason = "nesting_too_deep"
	// BodyTooLarge: the body is over the configured size limit (HTTP 413).
	BodyTooLarge Reason = "body_too_large"
	// UnsupportedMediaType: the POST is not application/json (HTTP 415).
	UnsupportedMediaType Reason = "unsupported_media_type"
	// NotAcceptable: the Accept header admits neither JSON nor an event stream (HTTP 406).
	NotAcceptable Reason = "not_acceptable"
	// OriginNotAllowed: a browser Origin outside the allowed list (DNS-rebinding protection).
	OriginNotAllowed Reason = "origin_not_allowed"
	// MethodNotAllowed: an HTTP method the MCP endpoint does not serve.
	MethodNotAllowed Reason = "method_not_allowed"
	// HeaderMismatch: Mcp-Method, Mcp-Name or a parameter header differs
	// from the body, or a required one is missing (MCP 2026-07-28).
	HeaderMismatch Reason = "header_mismatch"
	// UnsupportedProtocolVersion: a missing, malformed or unsupported MCP protocol version.
	UnsupportedProtocolVersion Reason = "unsupported_protocol_version"
	// SessionNotFound: an unknown, expired, deleted or foreign session (HTTP 404).
	SessionNotFound Reason = "session_not_found"
	// NotInitialized: a session request before initialize, or without a session id.
	NotInitialized Reason = "not_initialized"
	// MethodNotFound: an unknown MCP method (JSON-RPC -32601).
	MethodNotFound Reason = "method_not_found"
	// UnknownTool: tools/call of a tool the catalog does not hold (JSON-RPC -32602).
	UnknownTool Reason = "unknown_tool"
	// InvalidParams: the params of a known method have the wrong shape (JSON-RPC -32602).
	InvalidParams Reason = "invalid_params"
	// InvalidArguments: the arguments of a known tool violate its input
	// schema: an isError tool result (MCP SEP-1303), never dispatched.
	InvalidArguments Reason = "invalid_arguments"
	// AdmissionMismatch: what the MCP SDK was about to dispatch differs from
	// what admission allowed; the call fails closed.
	AdmissionMismatch Reason = "admission_mismatch"
	// AuditUnavailable: strict audit mode could not write before dispatch.
	AuditUnavailable Reason = "audit_unavailable"
	// Internal: the gateway failed (a bug or a resource it depends on).
	Internal Reason = "internal_error"
)

// Reasons a guarded service refuses a downstream identity (gateway/guard).
const (
	// IdentityMissing: the call carries no downstream identity.
	IdentityMissing Reason = "identity_missing"
	// IdentityInvalid: the identity does not verify (signature, issuer, expiry, lifetime).
	IdentityInvalid Reason = "identity_invalid"
	// IdentityReplayed: an entry-hop identity was presented a second time.
	IdentityReplayed Reason = "identity_replayed"
	// WrongAudience: the identity is addressed to another service.
	WrongAudience Reason = "wrong_audience"
	// WrongTool: an entry-hop identity presented for an endpoint other than its tool.
	WrongTool Reason = "wrong_tool"
	// DownstreamNotAllowed: a forwarded hop to an endpoint outside the
	// identity's signed downstream list.
	DownstreamNotAllowed Reason = "downstream_not_allowed"
)

// allowed are the reasons an allowed request may carry.
var allowed = []Reason{Granted, Authenticated, Anonymous, Forwarded}

// All returns every reason, allowed ones first.
func All() []Reason {
	return []Reason{
		Granted, Authenticated, Anonymous, Forwarded,
		Unauthenticated, InsufficientScope, UnscopedDenied, RateLimited, LimiterUnavailable, SessionStoreUnavailable, SessionLimit, Overloaded,
		ParseError, InvalidRequest, NestingTooDeep, BodyTooLarge, UnsupportedMediaType, NotAcceptable,
		OriginNotAllowed, MethodNotAllowed, HeaderMismatch, UnsupportedProtocolVersion, SessionNotFound,
		NotInitialized, MethodNotFound, UnknownTool, InvalidParams, InvalidArguments, AdmissionMismatch,
		AuditUnavailable, Internal,
		IdentityMissing, IdentityInvalid, IdentityReplayed, WrongAudience, WrongTool, DownstreamNotAllowed,
	}
}

// Allows reports whether r is a reason of an allowed request.
func (r Reason) Allows() bool {
	for _, a := range allowed {
		if r == a {
			return true
		}
	}
	return false
}

// Known reports whether r is declared here.
func (r Reason) Known() bool {
	for _, a := range All() {
		if r == a {
			return true
		}
	}
	return false
}

// String returns the reason's word.
func (r Reason) String() string { return string(r) }
