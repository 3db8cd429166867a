package policy

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Challenge is an HTTP denial: a status and, for 401/403, a WWW-Authenticate
// Bearer challenge (RFC 6750 §3, RFC 9728 §5.1). Build it with NewChallenge
// and write it with Apply; the body (a JSON-RPC error for MCP) is the
// caller's.
type Challenge struct {
	Status           int
	Error            string   // "", "invalid_request", "invalid_token", "insufficient_scope"
	Description      string   // error_description; never token contents
	Scopes           []string // all scopes the resource needs, for step-up
	ResourceMetadata string   // URL of the RFC 9728 metadata document
	RetryAfter       time.Duration
}

// NewChallenge maps a policy error to a challenge:
//
//	ErrMissingToken                 401, no error code (RFC 6750 §3.1)
//	ErrTokenInQuery                 400 invalid_request
//	ErrInvalidToken (and its kinds) 401 invalid_token
//	ErrInsufficientScope,
//	ErrUnscopedDenied               403 insufficient_scope
//	ErrRateLimited                  429 (Retry-After from retryAfter)
//	ErrLimiterUnavailable           503 (Retry-After from retryAfter)
//	anything else                   500
//
// scopes is the scope set to request (all required scopes, space-separated in
// the header); resourceMetadata is the protected resource metadata URL.
func NewChallenge(err error, resourceMetadata string, scopes []string, retryAfter time.Duration) Challenge {
	c := Challenge{ResourceMetadata: resourceMetadata, Scopes: scopes, RetryAfter: retryAfter}
	switch {
	case errors.Is(err, ErrTokenInQuery):
		c.Status, c.Error, c.Description = http.StatusBadRequest, "invalid_request", "token must be sent in the Authorization header"
	case errors.Is(err, ErrMissingToken):
		c.Status = http.StatusUnauthorized
	case errors.Is(err, ErrInvalidToken):
		c.Status, c.Error, c.Description = http.StatusUnauthorized, "invalid_token", tokenProblem(err)
	case errors.Is(err, ErrInsufficientScope), errors.Is(err, ErrUnscopedDenied):
		c.Status, c.Error, c.Description = http.StatusForbidden, "insufficient_scope", "the token lacks a scope this tool requires"
	case errors.Is(err, ErrRateLimited):
		c.Status = http.StatusTooManyRequests
	case errors.Is(err, ErrLimiterUnavailable):
		c.Status = http.StatusServiceUnavailable
	default:
		c.Status = http.StatusInternalServerError
	}
	return c
}

// tokenProblem names the kind of token failure without echoing the cause.
func tokenProblem(err error) string {
	for _, e := range []error{ErrTokenExpired, ErrTokenNotYetValid, ErrBadAudience, ErrBadIssuer,
		ErrBadSignature, ErrUnknownKey, ErrAlgorithmNotAllowed, ErrMalformedToken} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "token invalid"
}

// Header returns the WWW-Authenticate value, or "" for statuses without one.
func (c Challenge) Header() string {
	if c.Status != http.StatusUnauthorized && c.Status != http.StatusForbidden && c.Status != http.StatusBadRequest {
		return ""
	}
	var params []string
	add := func(k, v string) {
		if v != "" {
			params = append(params, k+`="`+quote(v)+`"`)
		}
	}
	add("error", c.Error)
	add("error_description", c.Description)
	add("scope", strings.Join(c.Scopes, " "))
	add("resource_metadata", c.ResourceMetadata)
	if len(params) == 0 {
		return "Bearer"
	}
	return "Bearer " + strings.Join(params, ", ")
}

// Apply sets WWW-Authenticate and Retry-After on h as applicable. It does
// not write the status.
func (c Challenge) Apply(h http.Header) {
	if v := c.Header(); v != "" {
		h.Set("WWW-Authenticate", v)
	}
	if c.RetryAfter > 0 && (c.Status == http.StatusTooManyRequests || c.Status == http.StatusServiceUnavailable) {
		secs := int64((c.RetryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
}

// quote escapes a quoted-string (RFC 9110 §5.6.4) and drops control bytes.
func quote(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
