package policy

import "errors"

// Authentication errors. Every verification failure is ErrInvalidToken and,
// where the cause is known, also one of the more specific errors below it, so
// both errors.Is(err, ErrInvalidToken) and errors.Is(err, ErrTokenExpired)
// hold for an expired token.
var (
	ErrMissingToken = errors.New("policy: missing bearer token")
	ErrTokenInQuery = errors.New("policy: bearer token in query string is not accepted")
	ErrInvalidToken = errors.New("policy: invalid token")

	ErrTokenExpired        = errors.New("token expired")
	ErrTokenNotYetValid    = errors.New("token not yet valid")
	ErrBadAudience         = errors.New("token audience mismatch")
	ErrBadIssuer           = errors.New("token issuer mismatch")
	ErrBadSignature        = errors.New("token signature invalid")
	ErrUnknownKey          = errors.New("token signing key unknown")
	ErrAlgorithmNotAllowed = errors.New("token algorithm not allowed")
	ErrMalformedToken      = errors.New("token malformed or missing claims")
	ErrEmptySubject        = errors.New("token subject empty, blank, or with invisible or control characters (subject and client_id must be printable)")
	ErrCriticalHeader      = errors.New("token marks a header extension critical that the gateway does not understand")
	ErrTokenType           = errors.New("token type (typ) not accepted")
	ErrTokenLifetime       = errors.New("token lifetime over the maximum")
)

// Authorization and limiting errors.
var (
	ErrInsufficientScope  = errors.New("policy: insufficient scope")
	ErrUnscopedDenied     = errors.New("policy: tool declares no scopes and unscoped tools are denied")
	ErrRateLimited        = errors.New("policy: rate limited")
	ErrLimiterUnavailable = errors.New("policy: rate limiter backend unavailable")
)

// Configuration errors returned by Validate and constructors.
var (
	ErrInvalidPattern   = errors.New("policy: invalid tool pattern")
	ErrInvalidMode      = errors.New("policy: invalid match mode")
	ErrInvalidUnscoped  = errors.New("policy: invalid unscoped policy")
	ErrInvalidLimit     = errors.New("policy: invalid rate limit")
	ErrEmptyScope       = errors.New("policy: empty scope in override")
	ErrMissingAudience  = errors.New("policy: verifier needs the resource URI as audience")
	ErrMissingIssuer    = errors.New("policy: verifier needs an issuer")
	ErrMissingKeySource = errors.New("policy: verifier needs a JWKS URL or an issuer to discover it")
	ErrUnsupportedAlg   = errors.New("policy: unsupported algorithm (none and HS* are never accepted)")
	ErrDiscovery        = errors.New("policy: authorization server metadata discovery failed")
	ErrInvalidKey       = errors.New("policy: invalid key")
	ErrInvalidTTL       = errors.New("policy: identity TTL must be in (0, 60s]")
	ErrInvalidLifetime  = errors.New("policy: maximum token lifetime must not be negative")
)

// ErrIncompleteIdentity is returned by Minter.Mint for a request without an
// audience, a tool or a subject.
var ErrIncompleteIdentity = errors.New("policy: identity needs an audience, a tool and a subject")
