package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go-micro.dev/v5/auth"
)

// AuthVerifier verifies tokens with a go-micro auth.Auth (Inspect): the
// account ID becomes the Subject, its scopes the Scopes, its issuer the
// Issuer, and Metadata["intent"] the IntentID (Metadata["client"] the
// Client).
type AuthVerifier struct{ a auth.Auth }

// NewAuthVerifier returns a Verifier backed by a.Inspect.
func NewAuthVerifier(a auth.Auth) *AuthVerifier { return &AuthVerifier{a: a} }

// Verify inspects token.
func (v *AuthVerifier) Verify(_ context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrMissingToken
	}
	acc, err := v.a.Inspect(token)
	if err != nil {
		if errors.Is(err, auth.ErrInvalidToken) {
			return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
		}
		return Principal{}, fmt.Errorf("%w: go-micro auth inspect: %w", ErrInvalidToken, err)
	}
	if acc == nil || acc.ID == "" {
		return Principal{}, fmt.Errorf("%w: %w: account without ID", ErrInvalidToken, ErrMalformedToken)
	}
	return Principal{
		Subject:  acc.ID,
		Client:   acc.Metadata["client"],
		Scopes:   slices.Clone(acc.Scopes),
		IntentID: acc.Metadata["intent"],
		Issuer:   acc.Issuer,
	}, nil
}
