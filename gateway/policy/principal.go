package policy

import (
	"context"
	"time"
)

// Principal is an authenticated caller. It never holds the raw token.
type Principal struct {
	Subject  string    // sub, or the go-micro account ID
	Client   string    // client_id or azp
	Scopes   []string  // granted scopes
	IntentID string    // the user message this call serves, from the intent claim
	Expiry   time.Time // zero when the credential does not expire
	Issuer   string
}

// Verifier turns a credential into a Principal. Implementations return an
// error wrapping ErrInvalidToken (or ErrMissingToken for an empty token).
type Verifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(ctx context.Context, token string) (Principal, error)

// Verify calls f.
func (f VerifierFunc) Verify(ctx context.Context, token string) (Principal, error) {
	return f(ctx, token)
}
