package policy

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/tracegate/tracegate/gateway/guard"
)

func newTestMinter(t testing.TB, opts ...MinterOption) *Minter {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMinter(priv, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMinter(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := newTestMinter(t, WithIdentityIssuer("https://gw.example.test"), withMinterClock(func() time.Time { return now }))
	raw, err := m.Mint(IdentityRequest{
		Principal: Principal{Subject: "alice", Client: "agent-1", IntentID: "msg-42", Scopes: []string{"blog:*", "secret"}},
		Tool:      "posts.Posts.Create", Audience: "posts", TraceID: "0af7651916cd43dd8448eb211c80319c",
		Scopes: []string{"blog:write", "blog:read", "blog:write"},
	})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := jws.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	if typ, _ := h.Type(); typ != guard.TokenType {
		t.Fatalf("typ = %q", typ)
	}
	if kid, _ := h.KeyID(); kid != m.KeyID() || kid == "" {
		t.Fatalf("kid = %q", kid)
	}
	tok, err := jwt.Parse([]byte(raw), jwt.WithKey(jwa.EdDSA(), m.PublicKey()), jwt.WithValidate(false))
	if err != nil {
		t.Fatal(err)
	}
	iat, _ := tok.IssuedAt()
	exp, _ := tok.Expiration()
	aud, _ := tok.Audience()
	sub, _ := tok.Subject()
	jti, _ := tok.JwtID()
	if exp.Sub(iat) != DefaultIdentityTTL || !iat.Equal(now) || !slices.Equal(aud, []string{"posts"}) || sub != "alice" || jti == "" {
		t.Fatalf("registered claims: iat %v exp %v aud %v sub %q jti %q", iat, exp, aud, sub, jti)
	}
	for k, want := range map[string]string{
		guard.ClaimScope: "blog:read blog:write", guard.ClaimTool: "posts.Posts.Create", guard.ClaimClient: "agent-1",
		guard.ClaimIntent: "msg-42", guard.ClaimTraceID: "0af7651916cd43dd8448eb211c80319c",
	} {
		var got string
		if err := tok.Get(k, &got); err != nil || got != want {
			t.Fatalf("claim %s = %q (%v), want %q", k, got, err, want)
		}
	}

	// The JWKS handler serves a key that verifies the identity.
	srv := httptest.NewServer(m.JWKSHandler())
	defer srv.Close()
	set, err := jwk.Fetch(t.Context(), srv.URL, jwk.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse([]byte(raw), jwt.WithKeySet(set), jwt.WithValidate(false)); err != nil {
		t.Fatalf("verify with served JWKS: %v", err)
	}
}

func TestNewMinterErrors(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name string
		key  ed25519.PrivateKey
		opts []MinterOption
		want error
	}{
		{"short key", priv[:10], nil, ErrInvalidKey},
		{"ttl over 60s", priv, []MinterOption{WithIdentityTTL(61 * time.Second)}, ErrInvalidTTL},
		{"zero ttl", priv, []MinterOption{WithIdentityTTL(0)}, ErrInvalidTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewMinter(tt.key, tt.opts...); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := newTestMinter(t).Mint(IdentityRequest{Tool: "x"}); err == nil {
		t.Fatal("Mint without audience must fail")
	}
}
