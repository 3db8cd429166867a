package policy

import (
	"net/http"
	"time"
)

// JWTOption configures NewJWTVerifier.
type JWTOption interface{ applyJWT(*jwtConfig) }

type jwtOptionFunc func(*jwtConfig)

func (f jwtOptionFunc) applyJWT(c *jwtConfig) { f(c) }

type jwtConfig struct {
	jwksURL      string
	issuer       string
	audience     string
	leeway       time.Duration
	algorithms   []string
	intentClaim  string
	httpClient   *http.Client
	refetchEvery time.Duration
	maxLifetime  time.Duration
	requiredTyp  string
	now          func() time.Time
}

// defaultAlgorithms are the JWS algorithms accepted unless WithAlgorithms
// says otherwise.
func defaultAlgorithms() []string { return []string{"RS256", "ES256", "EdDSA", "PS256"} }

func newJWTConfig(opts []JWTOption) jwtConfig {
	c := jwtConfig{
		leeway:       30 * time.Second,
		algorithms:   defaultAlgorithms(),
		intentClaim:  "intent",
		httpClient:   &http.Client{Timeout: 10 * time.Second},
		refetchEvery: 10 * time.Second,
		now:          time.Now,
	}
	for _, o := range opts {
		if o != nil {
			o.applyJWT(&c)
		}
	}
	return c
}

// WithJWKSURL sets the JWKS to verify signatures with. Without it the JWKS
// is discovered from the issuer's metadata.
func WithJWKSURL(u string) JWTOption {
	return jwtOptionFunc(func(c *jwtConfig) { c.jwksURL = u })
}

// WithIssuer sets the required iss, which is also the base for discovering
// jwks_uri (RFC 8414, then OpenID Connect discovery). Required.
func WithIssuer(iss string) JWTOption {
	return jwtOptionFunc(func(c *jwtConfig) { c.issuer = iss })
}

// WithAudience sets the required aud: this gateway's resource URI (RFC 8707),
// e.g. "https://gw.example.com/mcp". Required.
func WithAudience(resource string) JWTOption {
	return jwtOptionFunc(func(c *jwtConfig) { c.audience = resource })
}

// WithLeeway sets the clock skew tolerated on exp, nbf and iat (default 30s).
func WithLeeway(d time.Duration) JWTOption {
	return jwtOptionFunc(func(c *jwtConfig) {
		if d >= 0 {
			c.leeway = d
		}
	})
}

// WithAlgorithms replaces the accepted JWS algorithms (default RS256, ES256,
// EdDSA, PS256). "none" and HS* make NewJWTVerifier fail.
func WithAlgorithms(algs ...string) JWTOption {
	return jwtOptionFunc(func(c *jwtConfig) {
		if len(algs) > 0 {
			c.algorithms = algs
		}
	})
}

// WithIntentClaim names the claim holding the intent id (default "intent").
func WithIntentClaim(name string) JWTOption {
	return jwtOptionFunc(func(c *jwtConfig) {
		if name != "" {
			c.intentClaim = name
		}
	})
}

// WithHTTPClient sets the client for discovery and JWKS fetches; nil is
// ignored.
func WithHTTPClient(h *http.Client) JWTOption {
	return jwtOptionFunc(func(c *jwtConfig) {
		if h != nil {
			c.httpClient = h
		}
	})
}

// WithRefetchInterval bounds how often a token with an unknown key id may
// trigger a JWKS refetch (default once per 10s).
func WithRefetchInterval(d time.Duration) JWTOption {
	return jwtOptionFunc(func(c *jwtConfig) {
		if d > 0 {
			c.refetchEvery = d
		}
	})
}

// WithMaxLifetime refuses tokens that live longer than d
// (auth.max_token_lifetime): exp-iat over d, or, iat or not, exp-now over d
// plus the leeway (a token minted for a week is refused even without iat).
// Zero (the default) sets no maximum; NewJWTVerifier refuses a negative d.
func WithMaxLifetime(d time.Duration) JWTOption {
	return jwtOptionFunc(func(c *jwtConfig) { c.maxLifetime = d })
}

// WithRequiredType requires the JWS typ header (auth.require_typ), e.g.
// "at+jwt" for OAuth 2.0 access tokens (RFC 9068 §2.1), which keeps an ID
// token or any other JWT of the issuer from being used as an access token.
// Compared as RFC 7515 §4.1.9 says: case-insensitively, with or without the
// "application/" prefix. Empty (the default): typ is not checked.
func WithRequiredType(typ string) JWTOption {
	return jwtOptionFunc(func(c *jwtConfig) { c.requiredTyp = typ })
}
