package policy

import (
	"github.com/tracegate/tracegate/internal/oauthtest"

	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

func newTestVerifier(t testing.TB, a *oauthtest.Issuer, opts ...JWTOption) *JWTVerifier {
	t.Helper()
	base := []JWTOption{WithIssuer(a.URL()), WithAudience(oauthtest.Audience), WithHTTPClient(a.Server.Client())}
	v, err := NewJWTVerifier(t.Context(), append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewJWTVerifier: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func with(c map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(c))
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestJWTVerifier(t *testing.T) {
	a := oauthtest.Start(t)
	a.AddKey(t, "ec-1", oauthtest.ECKey(t), true)
	a.AddKey(t, "rogue", oauthtest.RSAKey(t), false) // never published
	v := newTestVerifier(t, a)
	c := a.Claims()
	now := time.Now()
	rsaPub := a.RSAPublicKey("rsa-1")
	valid := a.Sign(t, "rsa-1", jwa.RS256(), c)
	parts := strings.Split(valid, ".")
	sig := []byte(parts[2])
	sig[5] = oauthtest.FlipB64(sig[5])
	tampered := parts[0] + "." + parts[1] + "." + string(sig)

	tests := []struct {
		name  string
		token string
		want  error // nil: accepted
	}{
		{"valid RS256", valid, nil},
		{"valid ES256", a.Sign(t, "ec-1", jwa.ES256(), c), nil},
		{"valid PS256", a.Sign(t, "rsa-1", jwa.PS256(), c), nil},
		{"scp array", a.Sign(t, "rsa-1", jwa.RS256(), with(c, "scope", nil, "scp", []string{"blog:read"})), nil},
		{"within leeway", a.Sign(t, "rsa-1", jwa.RS256(), with(c, "exp", now.Add(-10*time.Second).Unix())), nil},
		{"expired", a.Sign(t, "rsa-1", jwa.RS256(), with(c, "exp", now.Add(-time.Minute).Unix())), ErrTokenExpired},
		{"not yet valid", a.Sign(t, "rsa-1", jwa.RS256(), with(c, "nbf", now.Add(time.Minute).Unix())), ErrTokenNotYetValid},
		{"wrong aud", a.Sign(t, "rsa-1", jwa.RS256(), with(c, "aud", "https://other.example/mcp")), ErrBadAudience},
		{"wrong iss", a.Sign(t, "rsa-1", jwa.RS256(), with(c, "iss", "https://evil.example")), ErrBadIssuer},
		{"no exp", a.Sign(t, "rsa-1", jwa.RS256(), with(c, "exp", nil)), ErrMalformedToken},
		{"no sub", a.Sign(t, "rsa-1", jwa.RS256(), with(c, "sub", nil)), ErrMalformedToken},
		{"empty sub", a.Sign(t, "rsa-1", jwa.RS256(), with(c, "sub", "")), ErrEmptySubject},
		{"unknown crit extension", a.SignWithHeaders(t, "rsa-1", jwa.RS256(), c,
			map[string]any{"crit": []string{"urn:example:pop"}, "urn:example:pop": true}), ErrCriticalHeader},
		{"crit naming a standard header", a.SignWithHeaders(t, "rsa-1", jwa.RS256(), c,
			map[string]any{"crit": []string{"exp"}}), ErrCriticalHeader},
		{"typ not checked by default", a.SignWithHeaders(t, "rsa-1", jwa.RS256(), c, map[string]any{"typ": "JWT"}), nil},
		{"long-lived accepted without a maximum", a.Sign(t, "rsa-1", jwa.RS256(), with(c, "exp", now.Add(365*24*time.Hour).Unix())), nil},
		{"alg none", oauthtest.Unsigned(c), ErrAlgorithmNotAllowed},
		{"HS256 signed with public key", oauthtest.HSWithPublicKey(t, rsaPub, c), ErrAlgorithmNotAllowed},
		{"RS512 not in allowlist", a.Sign(t, "rsa-1", jwa.RS512(), c), ErrAlgorithmNotAllowed},
		{"tampered signature", tampered, ErrBadSignature},
		{"unpublished key", a.Sign(t, "rogue", jwa.RS256(), c), ErrUnknownKey},
		{"garbage", "not.a.jwt", ErrMalformedToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(t.Context(), tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if p.Subject != "alice" || p.Client != "agent-1" || p.IntentID != "msg-42" || p.Issuer != a.URL() {
					t.Fatalf("principal = %+v", p)
				}
				if len(p.Scopes) == 0 || p.Expiry.IsZero() {
					t.Fatalf("principal scopes/expiry missing: %+v", p)
				}
				return
			}
			if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, tt.want) {
				t.Fatalf("Verify err = %v, want %v and ErrInvalidToken", err, tt.want)
			}
		})
	}
	if _, err := v.Verify(t.Context(), ""); !errors.Is(err, ErrMissingToken) {
		t.Fatalf("empty token: %v", err)
	}
}

// TestJWTVerifierOptionalChecks: with auth.max_token_lifetime and
// auth.require_typ set, long-lived and untyped tokens are refused.
func TestJWTVerifierOptionalChecks(t *testing.T) {
	a := oauthtest.Start(t)
	v := newTestVerifier(t, a, WithMaxLifetime(10*time.Minute), WithRequiredType("at+jwt"))
	c := a.Claims() // iat now, exp now+5m
	now := time.Now()
	at := map[string]any{"typ": "at+jwt"}
	tests := []struct {
		name  string
		token string
		want  error // nil: accepted
	}{
		{"at+jwt within the maximum", a.SignWithHeaders(t, "rsa-1", jwa.RS256(), c, at), nil},
		{"application/at+jwt", a.SignWithHeaders(t, "rsa-1", jwa.RS256(), c, map[string]any{"typ": "application/at+jwt"}), nil},
		{"AT+JWT (case-insensitive)", a.SignWithHeaders(t, "rsa-1", jwa.RS256(), c, map[string]any{"typ": "AT+JWT"}), nil},
		{"exactly the maximum", a.SignWithHeaders(t, "rsa-1", jwa.RS256(), with(c, "exp", now.Add(10*time.Minute).Unix()), at), nil},
		{"no typ", a.Sign(t, "rsa-1", jwa.RS256(), c), ErrTokenType},
		{"typ JWT", a.SignWithHeaders(t, "rsa-1", jwa.RS256(), c, map[string]any{"typ": "JWT"}), ErrTokenType},
		{"ID token typ", a.SignWithHeaders(t, "rsa-1", jwa.RS256(), c, map[string]any{"typ": "id_token+jwt"}), ErrTokenType},
		{"typ with a suffix", a.SignWithHeaders(t, "rsa-1", jwa.RS256(), c, map[string]any{"typ": "at+jwt2"}), ErrTokenType},
		{"exp-iat over the maximum", a.SignWithHeaders(t, "rsa-1", jwa.RS256(),
			with(c, "iat", now.Add(-10*time.Minute).Unix(), "exp", now.Add(time.Minute).Unix()), at), ErrTokenLifetime},
		{"exp-now over the maximum, no iat", a.SignWithHeaders(t, "rsa-1", jwa.RS256(),
			with(c, "iat", nil, "exp", now.Add(24*time.Hour).Unix()), at), ErrTokenLifetime},
		{"no iat, within the maximum", a.SignWithHeaders(t, "rsa-1", jwa.RS256(), with(c, "iat", nil), at), nil},
		{"crit still refused", a.SignWithHeaders(t, "rsa-1", jwa.RS256(), c,
			map[string]any{"typ": "at+jwt", "crit": []string{"x"}, "x": 1}), ErrCriticalHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(t.Context(), tt.token)
			if tt.want == nil {
				if err != nil || p.Subject != "alice" {
					t.Fatalf("Verify = %+v, %v", p, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, tt.want) {
				t.Fatalf("Verify err = %v, want %v and ErrInvalidToken", err, tt.want)
			}
		})
	}
	if _, err := NewJWTVerifier(t.Context(), WithIssuer(a.URL()), WithAudience(oauthtest.Audience),
		WithHTTPClient(a.Server.Client()), WithMaxLifetime(-time.Second)); !errors.Is(err, ErrInvalidLifetime) {
		t.Fatalf("negative maximum lifetime: %v", err)
	}
}

func TestJWTVerifierScopeClaims(t *testing.T) {
	a := oauthtest.Start(t)
	v := newTestVerifier(t, a, WithIntentClaim("tracegate_intent"))
	c := with(a.Claims(), "scope", nil, "scp", []string{"a", "b"}, "client_id", nil, "azp", "az-client",
		"intent", nil, "tracegate_intent", "i-1")
	p, err := v.Verify(t.Context(), a.Sign(t, "rsa-1", jwa.RS256(), c))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Scopes, []string{"a", "b"}) || p.Client != "az-client" || p.IntentID != "i-1" {
		t.Fatalf("principal = %+v", p)
	}
}

func TestJWTVerifierRotatedKey(t *testing.T) {
	a := oauthtest.Start(t)
	v := newTestVerifier(t, a, WithRefetchInterval(time.Hour))
	a.AddKey(t, "rsa-2", oauthtest.RSAKey(t), false)
	tok2 := a.Sign(t, "rsa-2", jwa.RS256(), a.Claims())
	// Not published yet: the one refetch allowed finds nothing.
	if _, err := v.Verify(t.Context(), tok2); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unpublished kid: %v", err)
	}
	a.Publish("rsa-2")
	// Refetch is rate limited (1/h): still unknown, and no extra fetch.
	hits := a.JWKSHits.Load()
	if _, err := v.Verify(t.Context(), tok2); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("rate-limited refetch: %v", err)
	}
	if a.JWKSHits.Load() != hits {
		t.Fatal("refetch not rate limited")
	}

	// A fresh verifier (or once the interval passes) picks up the rotation.
	a2 := oauthtest.Start(t)
	v2 := newTestVerifier(t, a2)
	a2.AddKey(t, "rsa-2", oauthtest.RSAKey(t), true)
	before := a2.JWKSHits.Load()
	if _, err := v2.Verify(t.Context(), a2.Sign(t, "rsa-2", jwa.RS256(), a2.Claims())); err != nil {
		t.Fatalf("rotated key refused: %v", err)
	}
	if a2.JWKSHits.Load() != before+1 {
		t.Fatalf("want exactly one refetch, got %d", a2.JWKSHits.Load()-before)
	}
	// Cached now: no further fetch.
	if _, err := v2.Verify(t.Context(), a2.Sign(t, "rsa-2", jwa.RS256(), a2.Claims())); err != nil {
		t.Fatal(err)
	}
	if a2.JWKSHits.Load() != before+1 {
		t.Fatal("cached key refetched")
	}
}

func TestJWTVerifierDiscovery(t *testing.T) {
	tests := []struct {
		name             string
		noOAuth, wrongMD bool
		wantErr          error
	}{
		{"RFC 8414", false, false, nil},
		{"OIDC fallback", true, false, nil},
		{"issuer mismatch", false, true, ErrDiscovery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := oauthtest.Start(t)
			a.NoOAuthMD, a.WrongIssMD = tt.noOAuth, tt.wrongMD
			v, err := NewJWTVerifier(t.Context(), WithIssuer(a.URL()), WithAudience(oauthtest.Audience), WithHTTPClient(a.Server.Client()))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = v.Close() })
			if v.JWKSURL() != a.Server.URL+"/jwks" {
				t.Fatalf("JWKSURL = %q", v.JWKSURL())
			}
			if _, err := v.Verify(t.Context(), a.Sign(t, "rsa-1", jwa.RS256(), a.Claims())); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNewJWTVerifierConfigErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		opts []JWTOption
		want error
	}{
		{"no audience", []JWTOption{WithIssuer("https://x")}, ErrMissingAudience},
		{"no issuer", []JWTOption{WithAudience(oauthtest.Audience)}, ErrMissingIssuer},
		{"none", []JWTOption{WithIssuer("https://x"), WithAudience(oauthtest.Audience), WithAlgorithms("none")}, ErrUnsupportedAlg},
		{"HS256", []JWTOption{WithIssuer("https://x"), WithAudience(oauthtest.Audience), WithAlgorithms("RS256", "HS256")}, ErrUnsupportedAlg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewJWTVerifier(ctx, tt.opts...); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestJWTVerifierConcurrentSafe(t *testing.T) {
	a := oauthtest.Start(t)
	v := newTestVerifier(t, a)
	tok := a.Sign(t, "rsa-1", jwa.RS256(), a.Claims())
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var err error
			for range 20 {
				if _, e := v.Verify(t.Context(), tok); e != nil {
					err = e
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkVerifyJWT(b *testing.B) {
	a := oauthtest.Start(b)
	a.AddKey(b, "ec-1", oauthtest.ECKey(b), true)
	v := newTestVerifier(b, a)
	for _, alg := range []struct {
		name string
		kid  string
		alg  jwa.SignatureAlgorithm
	}{{"RS256", "rsa-1", jwa.RS256()}, {"ES256", "ec-1", jwa.ES256()}} {
		tok := a.Sign(b, alg.kid, alg.alg, a.Claims())
		b.Run(alg.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(b.Context(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
