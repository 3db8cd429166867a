package policy

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"slices"
)

// StaticVerifier accepts exactly one configured credential, for stdio where
// there is no HTTP bearer token (the credential comes from a flag or env).
type StaticVerifier struct {
	digest [sha256.Size]byte
	p      Principal
}

// NewStaticVerifier returns a verifier accepting credential as p. An empty
// credential accepts nothing.
func NewStaticVerifier(credential string, p Principal) *StaticVerifier {
	p.Scopes = slices.Clone(p.Scopes)
	v := &StaticVerifier{p: p}
	if credential != "" {
		v.digest = sha256.Sum256([]byte(credential))
	}
	return v
}

// Verify compares token with the credential in constant time (over digests,
// so the length is not revealed either).
func (v *StaticVerifier) Verify(_ context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrMissingToken
	}
	d := sha256.Sum256([]byte(token))
	var zero [sha256.Size]byte
	if v.digest == zero || subtle.ConstantTimeCompare(d[:], v.digest[:]) != 1 {
		return Principal{}, fmt.Errorf("%w: credential does not match", ErrInvalidToken)
	}
	p := v.p
	p.Scopes = slices.Clone(v.p.Scopes)
	return p, nil
}
