package guard

import "errors"

// Sentinel errors carried by [Decision.Err]; test with errors.Is.
var (
	ErrMissingIdentity      = errors.New("guard: missing downstream identity")
	ErrInvalidIdentity      = errors.New("guard: invalid downstream identity")
	ErrWrongAudience        = errors.New("guard: identity addressed to another service")
	ErrNoServiceName        = errors.New("guard: the protected service's name is not configured: use WithAudience, WithServer or WithServerFunc")
	ErrWrongTool            = errors.New("guard: identity issued for another tool")
	ErrDownstreamNotAllowed = errors.New("guard: endpoint not in the identity's downstream list")
	ErrReplayed             = errors.New("guard: identity already used")
	ErrInsufficientScope    = errors.New("guard: insufficient scope")
	ErrRateLimited          = errors.New("guard: rate limited")
	ErrReplayCacheFull      = errors.New("guard: replay cache full")
	ErrReplayStore          = errors.New("guard: replay store failed")
	ErrUnknownKey           = errors.New("guard: unknown signing key")
	ErrNoKey                = errors.New("guard: no verification key: use WithPublicKey or WithJWKSURL")
)
