package policy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"golang.org/x/time/rate"
)

// JWTVerifier verifies OAuth 2.1 access tokens that are JWTs signed by the
// authorization server: signature (asymmetric allowlist, key from a cached
// JWKS), no "crit" header, iss, aud (the resource URI), exp/nbf/iat with
// leeway, a non-empty sub and, when configured, typ (RFC 9068 at+jwt) and a
// maximum lifetime.
type JWTVerifier struct {
	cfg   jwtConfig
	cache *jwk.Cache
	keys  *cachedKeys
}

var _ Verifier = (*JWTVerifier)(nil)

// NewJWTVerifier fetches the JWKS (discovering its URL from the issuer
// unless WithJWKSURL is given) and returns a verifier. ctx bounds the initial
// fetch and the lifetime of the background cache; call Close when done.
func NewJWTVerifier(ctx context.Context, opts ...JWTOption) (*JWTVerifier, error) {
	cfg := newJWTConfig(opts)
	if cfg.audience == "" {
		return nil, ErrMissingAudience
	}
	if cfg.issuer == "" {
		return nil, ErrMissingIssuer
	}
	if cfg.maxLifetime < 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalidLifetime, cfg.maxLifetime)
	}
	algs, err := parseAlgorithms(cfg.algorithms)
	if err != nil {
		return nil, err
	}
	if cfg.jwksURL == "" {
		if cfg.jwksURL, err = DiscoverJWKSURL(ctx, cfg.httpClient, cfg.issuer); err != nil {
			return nil, err
		}
	}
	cache, err := jwk.NewCache(ctx, httprc.NewClient(httprc.WithHTTPClient(cfg.httpClient)))
	if err != nil {
		return nil, fmt.Errorf("policy: jwks cache: %w", err)
	}
	if err := cache.Register(ctx, cfg.jwksURL, jwk.WithHTTPClient(cfg.httpClient), jwk.WithWaitReady(true)); err != nil {
		_ = cache.Shutdown(ctx)
		return nil, fmt.Errorf("policy: jwks %s: %w", cfg.jwksURL, err)
	}
	return &JWTVerifier{
		cfg:   cfg,
		cache: cache,
		keys: &cachedKeys{
			cache:   cache,
			url:     cfg.jwksURL,
			algs:    algs,
			typ:     mediaType(cfg.requiredTyp),
			refetch: rate.NewLimiter(rate.Every(cfg.refetchEvery), 1),
		},
	}, nil
}

// JWKSURL reports the JWKS in use (configured or discovered).
func (v *JWTVerifier) JWKSURL() string { return v.cfg.jwksURL }

// Close stops the JWKS cache's background workers.
func (v *JWTVerifier) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return v.cache.Shutdown(ctx)
}

type clock func() time.Time

func (c clock) Now() time.Time { return c() }

// Verify checks token and returns its principal. Errors wrap ErrInvalidToken
// and one of ErrTokenExpired, ErrTokenNotYetValid, ErrBadAudience,
// ErrBadIssuer, ErrBadSignature, ErrUnknownKey, ErrAlgorithmNotAllowed,
// ErrCriticalHeader (any JWS "crit" header, RFC 7515 §4.1.11), ErrTokenType
// (WithRequiredType), ErrTokenLifetime (WithMaxLifetime), ErrEmptySubject
// or ErrMalformedToken.
func (v *JWTVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrMissingToken
	}
	tok, err := jwt.Parse([]byte(token),
		jwt.WithKeyProvider(v.keys.provider(ctx)),
		jwt.WithValidate(true),
		jwt.WithIssuer(v.cfg.issuer),
		jwt.WithAudience(v.cfg.audience),
		jwt.WithAcceptableSkew(v.cfg.leeway),
		jwt.WithClock(clock(v.cfg.now)),
		jwt.WithRequiredClaim("exp"),
		jwt.WithRequiredClaim("sub"),
	)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w: %w", ErrInvalidToken, classify(err), err)
	}
	p := v.principal(tok)
	if strings.TrimSpace(p.Subject) == "" || !printable(p.Subject) || !printable(p.Client) {
		// Without a subject the audit record names nobody and every such
		// caller shares one rate-limit bucket; control characters would
		// make the names the gateway keys sessions and limits by ambiguous.
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, ErrEmptySubject)
	}
	if err := v.checkLifetime(tok); err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return p, nil
}

// checkLifetime applies WithMaxLifetime: exp-iat (when iat is present) and
// exp-now (less the leeway) must not exceed it.
func (v *JWTVerifier) checkLifetime(tok jwt.Token) error {
	limit := v.cfg.maxLifetime
	if limit <= 0 {
		return nil
	}
	exp, _ := tok.Expiration()
	if iat, ok := tok.IssuedAt(); ok {
		if life := exp.Sub(iat); life > limit {
			return fmt.Errorf("%w: exp-iat %s over %s", ErrTokenLifetime, life, limit)
		}
	}
	if left := exp.Sub(v.cfg.now()); left > limit+v.cfg.leeway {
		return fmt.Errorf("%w: expires in %s, over %s", ErrTokenLifetime, left.Round(time.Second), limit)
	}
	return nil
}

func classify(err error) error {
	for _, e := range []error{ErrCriticalHeader, ErrTokenType, ErrAlgorithmNotAllowed, ErrUnknownKey} {
		if errors.Is(err, e) {
			return e
		}
	}
	switch {
	case errors.Is(err, jwt.TokenExpiredError()):
		return ErrTokenExpired
	case errors.Is(err, jwt.TokenNotYetValidError()):
		return ErrTokenNotYetValid
	case errors.Is(err, jwt.InvalidAudienceError()):
		return ErrBadAudience
	case errors.Is(err, jwt.InvalidIssuerError()):
		return ErrBadIssuer
	case errors.Is(err, jws.VerificationError()), strings.Contains(err.Error(), "could not verify message"):
		return ErrBadSignature
	default:
		return ErrMalformedToken
	}
}

func (v *JWTVerifier) principal(tok jwt.Token) Principal {
	var p Principal
	p.Subject, _ = tok.Subject()
	p.Issuer, _ = tok.Issuer()
	p.Expiry, _ = tok.Expiration()
	p.Scopes = scopesClaim(tok)
	if p.Client = claimString(tok, "client_id"); p.Client == "" {
		p.Client = claimString(tok, "azp")
	}
	p.IntentID = claimString(tok, v.cfg.intentClaim)
	return p
}

// scopesClaim reads "scope" (space-separated string, RFC 8693/9068) or
// "scp" (array or string).
func scopesClaim(tok jwt.Token) []string {
	for _, name := range []string{"scope", "scp"} {
		var raw any
		if tok.Get(name, &raw) != nil {
			continue
		}
		switch x := raw.(type) {
		case string:
			// RFC 6749 §3.3: scope tokens (%x21 / %x23-5B / %x5D-7E) separated
			// by single spaces; anything else is one (unusable) token, never
			// split into several.
			return scopeTokens(strings.Split(x, " "))
		case []any:
			out := make([]string, 0, len(x))
			for _, e := range x {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
			return scopeTokens(out)
		case []string:
			return scopeTokens(x)
		}
	}
	return nil
}

// scopeTokens keeps the valid scope tokens (validScope).
func scopeTokens(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if validScope(s) {
			out = append(out, s)
		}
	}
	return out
}

// validScope reports whether s is one scope token (RFC 6749 §3.3:
// 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E).
func validScope(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }) < 0
}

// printable reports whether every character of s is one a person sees as
// written (unicode.IsPrint: letters, marks, numbers, punctuation, symbols
// and the ASCII space). Controls (C0, DEL, C1), format characters (Cf:
// zero-width characters, bidi overrides that make "\u202eecila" display as
// "alice"), other spaces, unassigned and private-use code points are not:
// an identity in the audit trail, the console and rate-limit keys must read
// as what it is.
func printable(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

func claimString(tok jwt.Token, name string) string {
	var raw any
	if tok.Get(name, &raw) != nil {
		return ""
	}
	s, _ := raw.(string)
	return s
}
