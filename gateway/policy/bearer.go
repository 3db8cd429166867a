package policy

import (
	"fmt"
	"net/http"
	"strings"
)

// BearerToken returns the bearer token of r's Authorization header (RFC 6750
// §2.1), the only method tracegate accepts. A token in the query string
// (access_token) is refused with ErrTokenInQuery even when a header is also
// present, since the URL may already have been logged.
func BearerToken(r *http.Request) (string, error) {
	if r.URL != nil && r.URL.Query().Has("access_token") {
		return "", ErrTokenInQuery
	}
	hs := r.Header.Values("Authorization")
	switch len(hs) {
	case 0:
		return "", ErrMissingToken
	case 1:
	default:
		return "", fmt.Errorf("%w: %w: several Authorization headers", ErrInvalidToken, ErrMalformedToken)
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(hs[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("%w: Authorization scheme is not Bearer", ErrMissingToken)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", ErrMissingToken
	}
	return tok, nil
}
